#!/usr/bin/env bash
# The README's test command: installs what is missing, then runs the three tiers —
# unit and DPDK integration tests (Maven), then the namespace lab with the real appliance.
set -euo pipefail

HAIRPIN_HOME=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
cd "$HAIRPIN_HOME"
"$HAIRPIN_HOME/deploy/setup.sh" test
. "$HAIRPIN_HOME/deploy/env.sh"

echo "== tiers 1 and 2: unit and DPDK integration tests"
mvn -B -ntp install

failed=0
for run in "--router lab-router.yaml" "--router lab-router-2w.yaml" "--nat lab-nat.yaml" "--nat lab-nat-interface.yaml" \
    "--nat lab-nat-2w.yaml" "--nat lab-nat-xdp.yaml"; do
    mode=${run% *}
    cfg=${run#* }
    echo "== tier 3: namespace lab with the appliance ($mode, $cfg)"
    bash "$HAIRPIN_HOME/deploy/lab/lab.sh" test "$mode" -- \
        "$HAIRPIN_HOME/deploy/hairpin" run --config "$HAIRPIN_HOME/deploy/lab/$cfg" || failed=$((failed + 1))
done
echo "lab runs failed: $failed"
exit "$failed"
