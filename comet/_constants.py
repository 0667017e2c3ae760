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

# Retries.
CREATE_MAX_TRIES = 3  # only for 429 or a connection that never reached the server
CONNECT_RETRIES = 2
TRANSPORT_POOL_SIZE = 16  # connections kept per host (an app's shared one: its concurrency)
BACKOFF_BASE = 0.5
BACKOFF_MAX = 8.0
RETRY_AFTER_MAX = 60.0

# Saving outputs.
MAX_OUTPUT_BYTES = 50 * 1024 * 1024
DOWNLOAD_TIMEOUT = (CONNECT_TIMEOUT, 30.0)
DEFAULT_OUTPUT_DIR = "outputs"

# The web app's limits (settings.py reads overrides from the environment).
DEFAULT_CONCURRENCY = 128  # runs at once, across all visitors: they wait on the network
DEFAULT_MAX_RUNS_PER_HOUR = 20
DEFAULT_MAX_CONCURRENT_PER_VISITOR = 2
DEFAULT_MAX_IMAGES_PER_RUN = 4
DEFAULT_MAX_RUNS_PER_DAY = 200  # shared: runs per UTC day on the owner's key, all visitors

TERMINAL_STATUSES = frozenset({"succeeded", "failed", "canceled"})

# The poll schedule (comet/polling.py explains it) and the durations it learns from
# (comet/durations.py).
POLL_SPARSE_FACTOR = 4.0  # while completion is unlikely: up to 4 × poll_interval apart
POLL_SPARSE_SLACK = 0.1  # (or 10 % more than that, rather than one more poll)
POLL_WINDOW_FACTOR = 0.7  # where completion becomes likely: 0.7 × poll_interval apart…
POLL_DENSE_FACTOR = 0.3  # …closing to 0.3 × poll_interval as the window runs out
POLL_OVERDUE_SLOWDOWN = 0.1  # once overdue, the gap grows by 0.1 s per second overdue
POLL_MIN_GAP = 0.05  # a narrow window scales the gaps down, never below this
STEADY_MIN_SAMPLES = 3  # this many alike durations: the first poll waits for the longest
CATALOGUE_WINDOW = (0.5, 2.0)  # nothing learned: completion expected in 0.5× to 2× typical
DURATION_OUTLIER = 3.0  # a duration over 3× the median is a queue, not the model: left out
DURATION_SAMPLES = 20  # recent durations that shape an estimate
DURATION_SAME_INPUT = 3  # with this many from the same input size, only those are used
DURATION_MEMORY = 100  # durations remembered per model
# A server's duration is believed unless the client's polls contradict it by more than this
# (timestamps cut to the millisecond, a status that shows a moment after its completed_at).
OBSERVATION_SLACK = 0.25
CREATED_MEMORY = 256  # predictions a client remembers creating (when and with what input)

# Saving outputs side by side, so each image is on screen as soon as its own file is written.
DOWNLOAD_WORKERS = 4  # downloads at once per run (FLUX runs give at most 4 images)
DOWNLOAD_THREADS = 64  # download threads (and kept connections) shared by all runs
SUCCESS_UPDATE_AFTER = 0.25  # s: images not saved by then get a "succeeded" update first
# Gradio threads beyond one per run: a waiting run's generator holds a worker thread while it
# sleeps between polls, and page loads, previews and History need threads (Gradio's default
# is 40 in all) and queue slots of their own. launch(max_threads=concurrency + this).
APP_SPARE_THREADS = 40
