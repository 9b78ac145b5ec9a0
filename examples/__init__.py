"""Examples of integrations that use the sandbox the way an insurer would (public protocols only)."""
