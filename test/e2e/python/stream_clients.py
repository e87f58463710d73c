# The official Python client's streaming calls against berth's embedded API, as a user writes them:
# kubernetes.stream.stream(connect_get_namespaced_pod_exec, ...) and kubernetes.stream.portforward.
# Usage: stream_clients.py KUBECONFIG POD CONTAINER PORT   -> one JSON object on stdout.
import json
import sys

from kubernetes import client, config
from kubernetes.stream import portforward, stream

kubeconfig, pod, container, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
config.load_kube_config(kubeconfig)
v1 = client.CoreV1Api()
result = {}

result["output"] = stream(
    v1.connect_get_namespaced_pod_exec, pod, "default", container=container,
    command=["sh", "-c", "echo out-$((40+2)); echo err >&2"], stdin=False, stdout=True, stderr=True, tty=False,
)

session = stream(
    v1.connect_get_namespaced_pod_exec, pod, "default", container=container,
    command=["sh", "-c", "read line; echo got-$line; exit 3"], stdin=True, stdout=True, stderr=True, tty=False,
    _preload_content=False,
)
session.write_stdin("python\n")
session.run_forever(timeout=60)
result["stdinEcho"] = session.read_stdout()
result["returncode"] = session.returncode
session.close()

forward = portforward(v1.connect_get_namespaced_pod_portforward, pod, "default", ports=str(port))
sock = forward.socket(port)
sock.setblocking(True)
sock.sendall(b"GET / HTTP/1.0\r\nHost: pod\r\n\r\n")
answer = b""
while True:
    chunk = sock.recv(65536)
    if not chunk:
        break
    answer += chunk
sock.close()
result["portForward"] = answer.decode("utf-8", "replace")
result["portForwardError"] = forward.error(port)
print(json.dumps(result))
