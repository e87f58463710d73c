// The names a serving certificate covers: always loopback and localhost, plus the given hosts
// (wildcard bind addresses are not names and are skipped).
import { isIP } from 'node:net';

export function requiredSans(hosts: string[]): { ips: string[]; dns: string[] } {
  const ips = new Set(['127.0.0.1', '::1']);
  const dns = new Set(['localhost']);
  for (const h of hosts) {
    if (!h || h === '0.0.0.0' || h === '::') continue;
    if (isIP(h)) ips.add(h);
    else if (/^[A-Za-z0-9.-]+$/.test(h)) dns.add(h.toLowerCase());
  }
  return { ips: [...ips], dns: [...dns] };
}
