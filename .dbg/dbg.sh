SB="/work/wt-health/.venv/bin/python -m supervisor"
cd /work/wt-health
.venv/bin/python -c "from tests.clihelp import Scopebox; Scopebox({}).ensure_busybox()"
$SB run -d --name t1 busybox sleep 1000 >/dev/null
CID=$($SB ps -q --no-trunc --filter name=t1)
python3 -c "
import json;s=json.load(open('/var/lib/scopebox/containers/$CID/config.json'));p=s['process'];p['args']=['sh','-c','sleep 7771 & sleep 7772'];json.dump(p,open('/tmp/p3.json','w'))"
crun --root=/run/scopebox/runc --systemd-cgroup exec --process /tmp/p3.json --pid-file /tmp/pf $CID &
sleep 1
echo pidfile=$(cat /tmp/pf)
for p in $(pgrep -f "sleep 777|crun"); do echo "$p ppid=$(cut -d' ' -f4 /proc/$p/stat) pgid=$(cut -d' ' -f5 /proc/$p/stat) sid=$(cut -d' ' -f6 /proc/$p/stat) $(tr '\0' ' ' < /proc/$p/cmdline)"; done
$SB rm -f t1
