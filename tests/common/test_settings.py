"""The one settings object: defaults, then a TOML file, then environment variables, then overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsop_sandbox.launcher import tls_hostnames
from dsop_sandbox.mocks.common.admin_access import allowed_hosts
from dsop_sandbox.mocks.common.settings import DEFAULT_LIFETIMES, DEFAULT_PORTS, SERVICE_NAMES, Settings, SettingsError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sandbox.toml"
    path.write_text(text, encoding="utf-8")
    return path


# -- defaults ---------------------------------------------------------------------------------------------
def test_defaults():
    settings = Settings.load(environ={})
    assert settings.sources == ("defaults",)
    assert settings.state_dir == Path(".sandbox")
    assert settings.tls is False and settings.scheme == "http"
    assert settings.max_body_bytes == 1024 * 1024
    assert {name: svc.port for name, svc in settings.services.items()} == DEFAULT_PORTS
    assert settings.lifetimes == DEFAULT_LIFETIMES
    assert settings.consent_token_issuer == "altinn.no"
    assert settings.maskinporten.clock_skew == 10


def test_default_base_urls_and_issuers():
    settings = Settings.load(environ={})
    assert settings.base_url("maskinporten") == "http://localhost:7102"
    assert settings.issuer("maskinporten") == "http://localhost:7102/"  # Maskinporten keeps its slash
    assert settings.base_url("idporten") == "http://localhost:7101"
    assert settings.issuer("idporten") == "http://localhost:7101"  # ID-porten has none
    assert settings.issuer("altinn") == "http://localhost:7103"
    assert settings.base_url("nav") == "http://localhost:7104"
    assert settings.base_url("control") == "http://localhost:7100"


def test_the_internal_url_is_the_base_url_unless_set_apart():
    """docker compose: a service hands out its published URL, the other containers call its service name."""
    settings = Settings.load(environ={})
    assert all(settings.internal_url(name) == settings.base_url(name) for name in SERVICE_NAMES)
    settings = Settings.load(
        environ={
            "DSOP_SANDBOX__SERVICES__NAV__BASE_URL": "http://localhost:17104",
            "DSOP_SANDBOX__SERVICES__NAV__INTERNAL_URL": "http://nav:7104/",
        }
    )
    assert settings.internal_url("nav") == "http://nav:7104"
    assert settings.base_url("nav") == "http://localhost:17104" == settings.issuer("nav")
    assert settings.internal_url("altinn") == settings.base_url("altinn") == "http://localhost:7103"
    with pytest.raises(SettingsError, match=r"services\.nav\.internal_url must be str"):
        Settings.load(overrides={"services": {"nav": {"internal_url": 7104}}}, environ={})


def test_internal_names_are_answered_and_certified():
    """The control plane calls a service's admin API at its internal URL (Host: nav:7104), and under
    TLS the others verify it there: both must accept the internal name."""
    settings = Settings.load(environ={"DSOP_SANDBOX__SERVICES__NAV__INTERNAL_URL": "https://nav:7104"})
    assert "nav" in allowed_hosts(settings) and "nav" in tls_hostnames(settings, "nav")
    assert "nav" not in allowed_hosts(Settings.load(environ={}))
    assert "nav" not in tls_hostnames(Settings.load(environ={}), "nav")


def test_environment_is_ignored_when_an_empty_environ_is_given(monkeypatch):
    monkeypatch.setenv("DSOP_SANDBOX__TLS", "true")
    assert Settings.load(environ={}).tls is False
    assert Settings.load().tls is True  # None means os.environ


def test_loading_does_not_mutate_the_defaults():
    Settings.load(environ={}, overrides={"lifetimes": {"altinn.consent_token": 2}, "services": {"nav": {"port": 1}}})
    again = Settings.load(environ={})
    assert again.lifetimes["altinn.consent_token"] == 30
    assert again.services["nav"].port == 7104


# -- TOML file ----------------------------------------------------------------------------------------------
def test_toml_file_is_read(tmp_path):
    path = write(
        tmp_path,
        """
state_dir = "/tmp/sandbox-state"
tls = true
[services.maskinporten]
port = 8102
[services.idporten]
base_url = "https://login.test.example/"
[lifetimes]
"maskinporten.access_token" = 60
[maskinporten]
strict_assertion_lifetime = true
[altinn]
consent_token_issuer = "altinn.test"
""",
    )
    settings = Settings.load(path, environ={})
    assert settings.sources == ("defaults", str(path))
    assert settings.state_dir == Path("/tmp/sandbox-state")
    assert settings.tls is True
    assert settings.services["maskinporten"].port == 8102
    assert settings.base_url("maskinporten") == "https://localhost:8102"
    assert settings.issuer("maskinporten") == "https://localhost:8102/"
    assert settings.base_url("idporten") == "https://login.test.example"  # trailing slash dropped
    assert settings.issuer("idporten") == "https://login.test.example"
    assert settings.lifetimes["maskinporten.access_token"] == 60
    assert settings.lifetimes["altinn.consent_token"] == 30  # untouched keys keep defaults
    assert settings.maskinporten.assertion_lifetime_limit == 120
    assert settings.consent_token_issuer == "altinn.test"


def test_missing_file_is_a_settings_error(tmp_path):
    with pytest.raises(SettingsError, match="not found"):
        Settings.load(tmp_path / "nope.toml", environ={})


def test_bad_toml_is_a_settings_error_naming_the_file(tmp_path):
    path = write(tmp_path, "[services.maskinporten\nport = = 1\n")
    with pytest.raises(SettingsError, match="not valid TOML") as caught:
        Settings.load(path, environ={})
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(
    "text, name",
    [
        ("colour = 'blue'\n", "colour"),
        ("[services.maskinporten]\nprot = 1\n", "services.maskinporten.prot"),
        ("[services.insurer]\nport = 1\n", "services.insurer"),
        ("[maskinporten]\nmax_lifetime = 1\n", "maskinporten.max_lifetime"),
        ("[lifetimes]\naccess_token = 1\n", "lifetimes.access_token"),
    ],
)
def test_unknown_key_in_file_is_rejected_by_name(tmp_path, text, name):
    with pytest.raises(SettingsError, match="unknown setting") as caught:
        Settings.load(write(tmp_path, text), environ={})
    assert repr(name) in str(caught.value)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("[services.maskinporten]\nport = 'x'\n", "services.maskinporten.port must be int"),
        ("[services.maskinporten]\nport = true\n", "services.maskinporten.port must be int"),
        ("[services.maskinporten]\nport = 70000\n", "0-65535"),
        ("[services.nav]\nport = -1\n", "0-65535"),
        ("[services.nav]\nbase_url = 7\n", "services.nav.base_url must be str"),
        ("tls = 'yes'\n", "tls must be bool"),
        ("profile = 'altinn2'\n", "serves Altinn 3 and Altinn 2 at once"),
        ("max_body_bytes = 100\n", "at least 1024"),
        ("max_body_bytes = 4096.0\n", "max_body_bytes must be int"),
        ("[lifetimes]\n'altinn.consent_token' = 0\n", "whole number of seconds from 1"),
        ("[lifetimes]\n'altinn.consent_token' = true\n", "whole number of seconds from 1"),
        ("[lifetimes]\n'altinn.consent_token' = '30'\n", "whole number of seconds from 1"),
        ("[lifetimes]\n'altinn.consent_events_delay' = -1\n", "whole number of seconds from 0"),
        ("[maskinporten]\nstrict_assertion_lifetime = 1\n", "strict_assertion_lifetime must be bool"),
        ("services = 1\n", "services in "),
        ("[state_dir]\nx = 1\n", "state_dir must be str"),
    ],
)
def test_wrong_types_are_settings_errors(tmp_path, text, fragment):
    with pytest.raises(SettingsError) as caught:
        Settings.load(write(tmp_path, text), environ={})
    assert fragment in str(caught.value)


def test_settings_error_is_a_value_error():
    assert issubclass(SettingsError, ValueError)


# -- environment ------------------------------------------------------------------------------------------
def test_environment_values_are_read_as_the_settings_type():
    settings = Settings.load(
        environ={
            "DSOP_SANDBOX__SERVICES__MASKINPORTEN__PORT": "0",
            "DSOP_SANDBOX__TLS": "true",
            "DSOP_SANDBOX__STATE_DIR": "/tmp/s",
            "DSOP_SANDBOX__PUBLIC_HOST": "sandbox.local",
            "DSOP_SANDBOX__LIFETIMES__MASKINPORTEN.ACCESS_TOKEN": "60",
            "DSOP_SANDBOX__MASKINPORTEN__STRICT_ASSERTION_LIFETIME": "true",
            "UNRELATED": "ignored",
            "DSOP_SANDBOX_SINGLE_UNDERSCORE": "ignored",
        }
    )
    assert settings.sources == ("defaults", "environment")
    assert settings.services["maskinporten"].port == 0
    assert settings.tls is True
    assert settings.state_dir == Path("/tmp/s")
    assert settings.public_host == "sandbox.local"
    assert settings.lifetimes["maskinporten.access_token"] == 60
    assert settings.maskinporten.assertion_lifetime_limit == 120


def test_an_environment_value_that_looks_like_toml_stays_a_string_where_a_string_is_wanted():
    settings = Settings.load(environ={"DSOP_SANDBOX__STATE_DIR": "2024-01-01", "DSOP_SANDBOX__PUBLIC_HOST": "true"})
    assert settings.state_dir == Path("2024-01-01")
    assert settings.public_host == "true"
    with pytest.raises(SettingsError, match="port"):
        Settings.load(environ={"DSOP_SANDBOX__SERVICES__NAV__PORT": "seven"})


def test_environment_wins_over_the_file_and_overrides_win_over_both(tmp_path):
    path = write(tmp_path, "tls = true\n[services.nav]\nport = 8104\n[services.altinn]\nport = 8103\n")
    environ = {"DSOP_SANDBOX__SERVICES__NAV__PORT": "9104", "DSOP_SANDBOX__SERVICES__IDPORTEN__PORT": "9101"}
    settings = Settings.load(path, environ=environ, overrides={"services": {"idporten": {"port": 10101}}})
    assert settings.sources == ("defaults", str(path), "environment", "overrides")
    assert settings.tls is True  # file only
    assert settings.services["altinn"].port == 8103  # file only
    assert settings.services["nav"].port == 9104  # environment over file
    assert settings.services["idporten"].port == 10101  # overrides over environment
    assert settings.services["maskinporten"].port == 7102  # defaults


def test_lifetime_environment_variable_in_two_parts():
    # shells do not allow dots in variable names: service and lifetime name are two path parts
    settings = Settings.load(
        environ={
            "DSOP_SANDBOX__LIFETIMES__ALTINN__CONSENT_TOKEN": "2",
            "DSOP_SANDBOX__LIFETIMES__IDPORTEN__SSO_SESSION": "60",
        }
    )
    assert settings.lifetimes["altinn.consent_token"] == 2
    assert settings.lifetimes["idporten.sso_session"] == 60
    assert settings.lifetimes["maskinporten.access_token"] == 120


@pytest.mark.parametrize("source", ["overrides", "environment"])
def test_unknown_lifetime_is_rejected_by_name_with_the_known_ones(source):
    if source == "overrides":
        load = {"environ": {}, "overrides": {"lifetimes": {"maskinporten.acces_token": 5}}}
    else:
        load = {"environ": {"DSOP_SANDBOX__LIFETIMES__MASKINPORTEN__ACCES_TOKEN": "5"}}
    with pytest.raises(SettingsError, match="unknown setting") as caught:
        Settings.load(**load)
    message = str(caught.value)
    assert "'lifetimes.maskinporten.acces_token'" in message and source in message
    assert "maskinporten.access_token" in message.split(";", 1)[1]  # the known names are listed


def test_unknown_key_in_environment_is_rejected_by_name():
    with pytest.raises(SettingsError, match="unknown setting") as caught:
        Settings.load(environ={"DSOP_SANDBOX__SERVICES__MASKINPORTEN__PROT": "1"})
    assert "'services.maskinporten.prot'" in str(caught.value)
    assert "environment" in str(caught.value)


def test_wrong_type_in_environment():
    with pytest.raises(SettingsError, match=r"services\.nav\.port must be int"):
        Settings.load(environ={"DSOP_SANDBOX__SERVICES__NAV__PORT": "seventy"})


@pytest.mark.parametrize(
    "environ",
    [
        {"DSOP_SANDBOX__TLS": "true", "DSOP_SANDBOX__TLS__X": "1"},
        {"DSOP_SANDBOX__SERVICES": "1", "DSOP_SANDBOX__SERVICES__NAV__PORT": "1"},
    ],
)
def test_conflicting_environment_variables_are_a_settings_error(environ):
    with pytest.raises(SettingsError):
        Settings.load(environ=environ)


# -- overrides ----------------------------------------------------------------------------------------------
def test_unknown_override_is_rejected_by_name():
    with pytest.raises(SettingsError, match=r"'services\.nav\.colour' in overrides"):
        Settings.load(environ={}, overrides={"services": {"nav": {"colour": "blue"}}})


def test_a_table_cannot_be_replaced_by_a_scalar():
    with pytest.raises(SettingsError, match=r"services\.nav in overrides must be a table"):
        Settings.load(environ={}, overrides={"services": {"nav": 7104}})


# -- derived values ----------------------------------------------------------------------------------------
def test_port_zero_gets_its_base_url_and_issuer_from_with_ports():
    settings = Settings.load(
        environ={"DSOP_SANDBOX__SERVICES__MASKINPORTEN__PORT": "0", "DSOP_SANDBOX__SERVICES__IDPORTEN__PORT": "0"}
    )
    bound = settings.with_ports({"maskinporten": 54321, "idporten": 54320})
    assert bound.base_url("maskinporten") == "http://localhost:54321"
    assert bound.issuer("maskinporten") == "http://localhost:54321/"
    assert bound.issuer("idporten") == "http://localhost:54320"
    assert bound.services["nav"].port == 7104  # ports not given stay
    assert settings.services["maskinporten"].port == 0  # the original is unchanged
    assert bound.lifetimes == settings.lifetimes


def test_explicit_base_url_and_issuer_win():
    settings = Settings.load(
        environ={},
        overrides={
            "services": {
                "maskinporten": {"base_url": "https://mp.example/", "issuer": "https://issuer.example"},
                "altinn": {"base_url": "https://altinn.example"},
            }
        },
    )
    assert settings.base_url("maskinporten") == "https://mp.example"
    assert settings.issuer("maskinporten") == "https://issuer.example"  # exactly as given, no slash added
    assert settings.issuer("altinn") == "https://altinn.example"
    bound = settings.with_ports({"maskinporten": 1234})
    assert bound.base_url("maskinporten") == "https://mp.example"  # an explicit URL ignores the port


def test_public_host_and_tls_shape_derived_urls():
    settings = Settings.load(environ={}, overrides={"public_host": "sandbox.test", "tls": True})
    assert settings.base_url("nav") == "https://sandbox.test:7104"


def test_lifetimes_of_a_service():
    settings = Settings.load(environ={}, overrides={"lifetimes": {"altinn.consent_token": 2}})
    assert settings.lifetimes_of("altinn") == {
        "altinn.consent_token": 2,
        "altinn.citizen_session": 1800,
        "altinn.citizen_login": 600,
        "altinn.consent_events_delay": 300,
    }
    assert settings.lifetimes_of("maskinporten") == {"maskinporten.access_token": 120}
    assert set(settings.lifetimes_of("idporten")) == {key for key in DEFAULT_LIFETIMES if key.startswith("idporten.")}
    assert settings.lifetimes_of("nav") == {"nav.citizen_session": 1800, "nav.citizen_login": 600}


@pytest.mark.parametrize(
    "overrides, limit",
    [
        ({}, 180),
        ({"maskinporten": {"strict_assertion_lifetime": True}}, 120),
        ({"maskinporten": {"max_assertion_lifetime": 300}}, 300),
        ({"maskinporten": {"max_assertion_lifetime": 300, "strict_assertion_lifetime": True}}, 120),
    ],
)
def test_assertion_lifetime_limit(overrides, limit):
    assert Settings.load(environ={}, overrides=overrides).maskinporten.assertion_lifetime_limit == limit


def test_with_state_dir_and_describe(tmp_path):
    settings = Settings.load(environ={}).with_state_dir(tmp_path)
    assert settings.state_dir == tmp_path
    described = settings.describe()
    assert described["state_dir"] == str(tmp_path)
    assert set(described["services"]) == set(SERVICE_NAMES)
    assert described["services"]["maskinporten"]["issuer"] == "http://localhost:7102/"
    assert described["sources"] == ["defaults"]


def test_nav_paths_are_settings_with_the_documented_defaults():
    settings = Settings.load(environ={})
    assert settings.nav.ufore_path == "/dsop-ufo/uforeopplysninger"
    assert settings.nav.aap_vedtak_path == "/dsop-aap/v1/vedtak"
    moved = Settings.load(environ={"DSOP_SANDBOX__NAV__AAP_VEDTAK_PATH": "/arbeid/v1/aap/vedtak"})
    assert moved.nav.aap_vedtak_path == "/arbeid/v1/aap/vedtak"


@pytest.mark.parametrize("path", ["relative/path", "/_sandbox/aap", "/dsop-ufo/uforeopplysninger", "/a/<b>"])
def test_nav_paths_must_be_distinct_absolute_and_public(path):
    with pytest.raises(SettingsError):
        Settings.load(environ={}, overrides={"nav": {"aap_meldekort_path": path}})


def test_where_the_state_lives_is_said_without_the_database_password(tmp_path):
    default = Settings.load(environ={}, overrides={"state_dir": str(tmp_path)})
    assert default.describe()["store"] == {"backend": "sqlite"}
    assert default.where_state_lives() == str(tmp_path)
    team = Settings.load(
        environ={"DSOP_SANDBOX__STORE_URL": "postgresql://team:s3cret@db.example:5432/sandbox"},
        overrides={"state_dir": str(tmp_path)},
    )
    shown = team.describe()["store"]
    url = "postgresql://team:***@db.example:5432/sandbox"
    assert shown == {"backend": "postgresql", "url": url}
    assert team.where_state_lives() == f"PostgreSQL at {url}, keys in {tmp_path}"
    assert "s3cret" not in repr(team.describe()) + team.where_state_lives()
