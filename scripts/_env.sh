# Sourced by scripts/chat and scripts/test: checks the Python, then installs uv (pinned) into
# .tools/ when it is missing. Everything else installs from uv.lock with `uv sync --locked`,
# which also fails when pyproject.toml and the lock disagree (refresh: scripts/lock).
python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "llm-advisor needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
UV_VERSION=0.13.9
if [ ! -x .tools/bin/uv ] || [ "$(.tools/bin/uv --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  "$python" -m venv .tools
  .tools/bin/python -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION" >&2
fi
uv=.tools/bin/uv
export UV_PYTHON="$python" UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=.venv
