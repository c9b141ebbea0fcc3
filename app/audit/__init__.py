"""The audit log: who exported or erased personal data, when, and what (docs/privacy.md)."""
