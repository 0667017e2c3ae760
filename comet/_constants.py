"""Every default of the package in one place, so timeouts and caps are tuned in one place."""

DEFAULT_BASE_URL = "https://api.cometapi.com"
API_PREFIX = "/replicate/v1"
DEFAULT_MODEL = "black-forest-labs/flux-schnell"

# Per-request timeouts (seconds): requests has none by default, and the query route is
# documented to hang for 45 s or more at times.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 20.0

# Waiting for a prediction.
DEFAULT_POLL_INTERVAL = 0.5
DEFAULT_TIMEOUT = 600.0  # overall deadline of a watch
SLEEP_STEP = 0.1  # sleep in short steps so a closed generator stops promptly

# Retries.
CREATE_MAX_TRIES = 3  # only for 429 or a connection that never reached the server
CONNECT_RETRIES = 2
BACKOFF_BASE = 0.5
BACKOFF_MAX = 8.0
RETRY_AFTER_MAX = 60.0

# Saving outputs.
MAX_OUTPUT_BYTES = 50 * 1024 * 1024
DOWNLOAD_TIMEOUT = (CONNECT_TIMEOUT, 30.0)
DEFAULT_OUTPUT_DIR = "outputs"

# The web app's limits (settings.py reads overrides from the environment).
DEFAULT_CONCURRENCY = 16  # runs served at once, across all visitors
DEFAULT_MAX_RUNS_PER_HOUR = 20
DEFAULT_MAX_CONCURRENT_PER_VISITOR = 2
DEFAULT_MAX_IMAGES_PER_RUN = 4

TERMINAL_STATUSES = frozenset({"succeeded", "failed", "canceled"})

# The poll schedule (comet/polling.py explains it) and the durations it learns from
# (comet/durations.py).
POLL_SPARSE_FACTOR = 4.0  # while completion is unlikely: up to 4 × poll_interval apart
POLL_WINDOW_FACTOR = 0.7  # where completion becomes likely: 0.7 × poll_interval apart…
POLL_DENSE_FACTOR = 0.3  # …closing to 0.3 × poll_interval as the window runs out
POLL_OVERDUE_SLOWDOWN = 0.1  # once overdue, the gap grows by 0.1 s per second overdue
CATALOGUE_WINDOW = (0.5, 2.0)  # nothing learned: completion expected in 0.5× to 2× typical
DURATION_OUTLIER = 3.0  # a duration over 3× the median is a queue, not the model: left out
DURATION_SAMPLES = 20  # recent durations that shape an estimate
DURATION_SAME_INPUT = 3  # with this many from the same input size, only those are used
DURATION_MEMORY = 100  # durations remembered per model
CREATED_MEMORY = 256  # predictions a client remembers creating (when and with what input)
