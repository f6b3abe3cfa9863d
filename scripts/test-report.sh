#!/bin/sh
# Renders the experiment report in headless chromium (installed from Debian's registry when missing)
# and runs the report tests. Usage: scripts/test-report.sh (from the repository root, as root in CI).
set -e
if ! command -v chromium >/dev/null 2>&1; then
    apt-get install -y chromium || (apt-get update && apt-get install -y chromium)
fi
swift build -c release --build-tests -Xswiftc -enable-testing
swift test -c release --skip-build -Xswiftc -enable-testing --filter "ExperimentReportTests|reportInBrowser|reportContents|attentionMapSE"
