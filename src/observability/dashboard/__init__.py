"""The read side of the dashboard API: what the `/api/v1` read routes compute.

Each module answers one resource from the store (drift windows, reports, feature
distributions, job runs) or through the query layer (performance, services, named
queries); the routers in `service/routes/` only parse parameters and send what these
return. Errors are domain errors (`dashboard.errors`), never HTTP exceptions.
`Dashboard` (in `dashboard.service`) composes them from one `Runtime`.
"""
