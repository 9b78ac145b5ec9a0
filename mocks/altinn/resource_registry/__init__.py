"""Altinn's resource registry, as far as consent needs it: consent resources in the registry's
shape (NAV's ``nav_samtykke_dsop_aap-ufore`` seeded), their consent templates, and access lists
saying which organisations may request consent for them."""

from .routes import registry_blueprint, registry_fixtures_blueprint
from .store import SCHEMA, TABLES, Resources

__all__ = ["SCHEMA", "TABLES", "Resources", "registry_blueprint", "registry_fixtures_blueprint"]
