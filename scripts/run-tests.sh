#!/usr/bin/env bash
# Run the whole test suite (SQLite and PostgreSQL, and the headless-Chromium end-to-end tests).
# pytest's exit code 5 ("no tests collected") counts as a failure: a suite that ran nothing
# proves nothing.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
.venv/bin/pytest -p no:cacheprovider "$@"
status=$?
if [[ $status -eq 5 ]]; then
	echo "run-tests: pytest collected no tests" >&2
	exit 1
fi
exit $status
