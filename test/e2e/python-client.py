# Drives the official Kubernetes Python client (Debian's python3-kubernetes) against a berth API and
# prints one JSON object with what it saw. Usage: python3 python-client.py KUBECONFIG ACTION [ARGS]
# The client sends booleans as "True" and follows streams the way real users' scripts do.
import json
import sys

from kubernetes import client, config, watch


def main():
    kubeconfig, action = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    config.load_kube_config(kubeconfig)
    v1 = client.CoreV1Api()
    out = {}
    if action == 'list':
        pods = v1.list_namespaced_pod('default')
        out['names'] = [p.metadata.name for p in pods.items]
        out['pod'] = v1.read_namespaced_pod(args[0], 'default').metadata.name
        page = v1.list_namespaced_pod('default', limit=1)
        out['page'] = [p.metadata.name for p in page.items]
        out['continue'] = page.metadata._continue
        if page.metadata._continue:
            rest = v1.list_namespaced_pod('default', limit=100, _continue=page.metadata._continue)
            out['rest'] = [p.metadata.name for p in rest.items]
    elif action == 'watch':
        w = watch.Watch()
        seen = []
        for ev in w.stream(v1.list_namespaced_pod, 'default', timeout_seconds=int(args[0])):
            seen.append([ev['type'], ev['object'].metadata.name])
        out['events'] = seen
    elif action == 'log':
        name, previous = args[0], args[1] == 'previous'
        # follow=True on an exited (previous) container returns when its log ends.
        out['text'] = v1.read_namespaced_pod_log(name, 'default', follow=True, timestamps=True, previous=previous)
    elif action == 'follow':
        # Reads a followed log until a line mentions `tick N` with N >= the given number: only a
        # stream that stays open (follow=True honoured) ever gets there.
        name, until = args[0], int(args[1])
        resp = v1.read_namespaced_pod_log(name, 'default', follow=True, timestamps=True, _preload_content=False)
        lines = []
        buf = b''
        reached = False
        for chunk in resp.stream(64):
            buf += chunk
            while b'\n' in buf:
                line, buf = buf.split(b'\n', 1)
                lines.append(line.decode())
                if int(line.decode().rsplit(' ', 1)[-1]) >= until:
                    reached = True
            if reached:
                break
        resp.release_conn()
        out['reached'] = reached
        out['last'] = lines[-3:]
    elif action == 'bad-log':
        name = args[0]
        try:
            v1.read_namespaced_pod_log(name, 'default', since_seconds=-1)
            out['status'] = 200
        except client.exceptions.ApiException as e:
            out['status'] = e.status
            out['body'] = json.loads(e.body)
    print(json.dumps(out))


main()
