"""Config-file dicts for wsgate (README.md, "Config file")."""


def routes_config(backend, routes, **extra):
    """A config whose routes all point at `backend`, each at path /<route without '$'>.

    `routes` maps route key -> extra route options, e.g. {"$connect": {}, "$default": {"twoWay": True}}.
    """
    config = {"routes": {key: dict({"uri": backend.url("/" + key.lstrip("$"))}, **opts)
                         for key, opts in routes.items()}}
    config.update(extra)
    return config
