# Deployment overlay only: the service's settings point the cache at the host "redis" (its docker-compose service name).
# Here that Redis is a private redis-server on 127.0.0.1:49495. Nothing else is changed.
from config.settings import *  # noqa: F401,F403

CACHES["default"]["LOCATION"] = "redis://127.0.0.1:49495"
