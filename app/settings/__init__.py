"""Settings an admin changes at run time (privacy texts, retention, holidays), kept in the
database so every process sees the same values (docs/security.md, docs/operations.md)."""
