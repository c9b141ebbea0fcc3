"""Personal information protection (个人信息保护法): the consent notice, retention, erasure on
request and the audit of exports and erasures (docs/security.md)."""
