"""Who may call the HTTP service: API keys, bearer JWTs from a proxy, and the role lattice.

`roles` (the lattice) and `policy` (what each request needs) are pure; `apikeys` and
`secret` are what `observability keys` uses; `keyring`, `tokens` and `middleware` run in
the service; `exposure` is the check `observability serve` makes before it binds.
"""
