# One image for every dsop-sandbox service; docker-compose.yml runs one container per service
# (`dsop-sandbox serve NAME`), each with its own healthcheck on /_sandbox/health.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY sandbox ./sandbox
COPY mocks ./mocks
COPY scenarios ./scenarios
COPY conformance ./conformance
COPY examples ./examples
RUN pip install . && rm -rf /src
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
