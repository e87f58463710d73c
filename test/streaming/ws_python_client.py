# Drives the official Kubernetes Python client's WebSocket streams (Debian's python3-kubernetes,
# which speaks v4.channel.k8s.io) against the streaming fixture and prints one JSON object.
# Usage: python3 ws_python_client.py KUBECONFIG exec|portforward [PORT...]
import json
import sys

from kubernetes import client, config
from kubernetes.stream import portforward, stream


def exec_checks(v1):
    out = {}
    out['hostname'] = stream(v1.connect_get_namespaced_pod_exec, 'web', 'default', container='c1',
                             command=['cat', '/etc/hostname'], stdout=True, stderr=True, stdin=False, tty=False)
    ws = stream(v1.connect_get_namespaced_pod_exec, 'web', 'default', container='c1',
                command=['sh', '-c', 'read line; echo "got $line"; echo oops >&2; exit 3'],
                stdout=True, stderr=True, stdin=True, tty=False, _preload_content=False)
    ws.write_stdin('hello\n')
    ws.run_forever(timeout=60)
    out['stdout'] = ws.read_stdout()
    out['stderr'] = ws.read_stderr()
    out['returncode'] = ws.returncode
    return out


def forward_checks(v1, ports):
    out = {}
    pf = portforward(v1.connect_get_namespaced_pod_portforward, 'web', 'default', ports=','.join(ports))
    for port in (int(p) for p in ports):
        sock = pf.socket(port)
        sock.setblocking(True)
        received = b''
        try:
            # A port whose connection failed is closed at once; sending there may hit EPIPE.
            sock.sendall(b'ping\n')
        except OSError:
            pass
        try:
            while not received.endswith(b'\n'):
                chunk = sock.recv(1024)
                if not chunk:
                    break
                received += chunk
        except OSError as err:
            received = ('socket error: %s' % err).encode()
        sock.close()
        out[str(port)] = {'received': received.decode(errors='replace'), 'error': pf.error(port)}
    return out


def main():
    kubeconfig, action = sys.argv[1], sys.argv[2]
    config.load_kube_config(kubeconfig)
    v1 = client.CoreV1Api()
    if action == 'exec':
        out = exec_checks(v1)
    else:
        out = forward_checks(v1, sys.argv[3:])
    print(json.dumps(out))


main()
