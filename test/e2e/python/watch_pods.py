# A watch of the pods in "default" with the official Python client, kept across an agent restart
# the way a careful client does it: list once, then watch from the last resourceVersion it saw,
# each stream bounded by timeout_seconds, and on a dropped connection watch again from that version.
# Prints one JSON line per event; exits 3 on 410 Expired (the client would have to list again).
# Usage: /usr/bin/python3 watch_pods.py KUBECONFIG SECONDS
import json
import sys
import time

from kubernetes import client, config, watch

config.load_kube_config(config_file=sys.argv[1])
v1 = client.CoreV1Api()
deadline = time.time() + float(sys.argv[2])


def out(**fields):
    print(json.dumps(fields), flush=True)


rv = v1.list_namespaced_pod('default').metadata.resource_version
out(type='LISTED', rv=rv)
while time.time() < deadline:
    try:
        for e in watch.Watch().stream(v1.list_namespaced_pod, 'default', resource_version=rv, timeout_seconds=5):
            meta = e['object'].metadata
            rv = meta.resource_version
            out(type=e['type'], name=meta.name, uid=meta.uid, rv=rv)
    except client.rest.ApiException as ex:
        out(type='API_ERROR', status=ex.status, reason=str(ex.reason))
        if ex.status == 410:
            sys.exit(3)
        time.sleep(0.2)
    except Exception as ex:  # refused or cut off while the agent is down
        out(type='DISCONNECTED', error=type(ex).__name__)
        time.sleep(0.2)
out(type='DONE', rv=rv)
