"""The audit log: who exported or erased personal data, when, and what (docs/security.md)."""
