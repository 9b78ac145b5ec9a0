# One image for every dsop-sandbox service; docker-compose.yml runs one container per service
# (`dsop-sandbox serve NAME`), each with its own healthcheck on /_sandbox/health.
#
# BASE is any Debian-like image with python3 (3.11 or newer) and its venv module: the official
# Python image by default; where Docker Hub cannot be reached, containers/debian-base makes one
# from Debian's packages (./dev image does both):
#   DOCKER_BUILDKIT=1 docker build --build-arg BASE=$(containers/debian-base) -t dsop-sandbox:0.1.0 .
# Behind a TLS-inspecting proxy, pip needs the proxy's CA bundle: hand it in as a build secret,
# mounted for the install step only and never part of an image layer:
#   ... --secret id=ca,src=/etc/ssl/certs/ca-certificates.crt
ARG BASE=python:3.11-slim

FROM ${BASE} AS build
ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# The dependencies first, in a layer that only pyproject.toml changes (a change to the code rebuilds
# the next layer alone, without the network). A Debian base has python3 but no pip: a venv. The
# postgres extra too: a team's sandbox runs the image on one PostgreSQL (store_url).
COPY pyproject.toml ./
RUN --mount=type=secret,id=ca \
    if [ -s /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi \
    && python3 -m venv /opt/dsop-sandbox \
    && /opt/dsop-sandbox/bin/python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb')); \
print('\n'.join(p['project']['dependencies'] + p['project']['optional-dependencies']['postgres'] \
+ p['build-system']['requires']))" > /tmp/requirements.txt \
    && /opt/dsop-sandbox/bin/pip install -r /tmp/requirements.txt
COPY setup.py README.md ./
COPY sandbox ./sandbox
COPY mocks ./mocks
COPY scenarios ./scenarios
COPY conformance ./conformance
COPY examples ./examples
# The package itself, with the setuptools just installed (no network); then pip and setuptools leave
# the venv: the final image installs nothing.
RUN /opt/dsop-sandbox/bin/pip install --no-deps --no-build-isolation . \
    && /opt/dsop-sandbox/bin/pip uninstall --yes pip setuptools

FROM ${BASE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/dsop-sandbox/bin:$PATH
COPY --from=build /opt/dsop-sandbox /opt/dsop-sandbox
# The passages the code and the reports cite by path (docs/nav.md, docs/dsop-process.md).
COPY docs /usr/share/doc/dsop-sandbox/docs

# A non-root user owns the state directory; the named volumes mounted there (and the key
# authority's volume at /state/authority) start with this ownership. docker-compose.yml lets only
# its init step (`dsop-sandbox keys init`) write /state/authority and mounts it read-only in every
# service; what a service makes later (a rotated signing key) goes to /state/authority-overlay,
# in its own writable volume.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/sandbox sandbox \
    && mkdir -p /state/authority /insurer \
    && chown -R sandbox:sandbox /state /insurer
USER sandbox
WORKDIR /home/sandbox

ENV DSOP_SANDBOX__STATE_DIR=/state \
    DSOP_SANDBOX__BIND_HOST=0.0.0.0

EXPOSE 7100 7101 7102 7103 7104 7200
# Alone (docker run -p 7100-7104:7100-7104 IMAGE) it runs every service in one process;
# docker-compose.yml runs `dsop-sandbox serve NAME` in one container per service instead.
CMD ["dsop-sandbox", "up"]
