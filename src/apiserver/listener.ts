// The API's TCP listener in front of the TLS server. Node's TLS server answers a plain-HTTP
// request on the HTTPS port with a dropped connection, which curl reports as "Empty reply from
// server" and nobody understands; kube-apiserver (Go's net/http) answers it with a 400 and the text
// below. So each connection's first bytes are looked at: a plain HTTP request line gets that
// answer, anything else (a TLS ClientHello) goes on to the TLS server untouched.
import { createServer, type Server, type Socket } from 'node:net';
import type { Server as TlsServer } from 'node:https';

const PLAIN_HTTP = /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|CONNECT|TRACE) /;
export const PLAIN_HTTP_ANSWER = 'HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n';

/** A connection that sends nothing for this long is dropped (the TLS server's own handshake timeout). */
const FIRST_BYTES_TIMEOUT_MS = 120_000;

/** `plainHttpAnswer`: the whole HTTP answer to a plain request (default: kube-apiserver's), or a function making it. */
export function tlsFront(tls: TlsServer, plainHttpAnswer: string | (() => string) = PLAIN_HTTP_ANSWER): Server {
  // No Nagle: a plain net server keeps it on, and the TLS server given the socket does not turn it
  // off. With it, a small write that follows another (a 101 answer, then the first frames of an
  // exec) waited for the client's delayed ACK: 40 ms, twice per `kubectl exec`.
  return createServer({ noDelay: true }, (socket: Socket) => {
    socket.on('error', () => socket.destroy());
    const silent = () => socket.destroy();
    socket.setTimeout(FIRST_BYTES_TIMEOUT_MS, silent);
    socket.once('data', (first: Buffer) => {
      socket.setTimeout(0);
      socket.off('timeout', silent);
      socket.pause();
      if (first[0] !== 0x16 && PLAIN_HTTP.test(first.subarray(0, 8).toString('latin1'))) {
        socket.end(typeof plainHttpAnswer === 'string' ? plainHttpAnswer : plainHttpAnswer());
        return;
      }
      socket.unshift(first);
      tls.emit('connection', socket);
      process.nextTick(() => socket.resume());
    });
  });
}
