// Which IP addresses firstseen may connect to. firstseen downloads whatever strangers send it, so
// the default is: public unicast only. Everything else (loopback, RFC 1918, link-local including
// cloud metadata at 169.254.169.254, CGNAT, multicast, unspecified, documentation and benchmarking
// ranges, NAT64/6to4/Teredo that can embed a private IPv4) is refused. IPv4-mapped IPv6
// (::ffff:127.0.0.1) is judged as the IPv4 address it maps to.
import ipaddr from 'ipaddr.js';

export interface AddressPolicy {
  allowLoopback: boolean;
  /** CIDR ranges an operator explicitly allows (an internal archive, say). */
  allowedNetworks: string[];
}

export interface CompiledPolicy {
  allows(ip: string): boolean;
  /** Why an address is refused ("loopback", "private", …), or null when it is allowed. */
  refusal(ip: string): string | null;
}

export function compilePolicy(policy: AddressPolicy): CompiledPolicy {
  const networks = policy.allowedNetworks.map((cidr) => {
    try {
      return ipaddr.parseCIDR(cidr);
    } catch {
      throw new Error(`Not a CIDR range: ${cidr}`);
    }
  });
  const refusal = (ip: string): string | null => {
    if (!ipaddr.isValid(ip)) return 'not an IP address';
    // process() turns ::ffff:a.b.c.d into the IPv4 address, so the mapped form gets no free pass.
    const addr = ipaddr.process(ip);
    for (const [net, bits] of networks) {
      if (net.kind() === addr.kind() && addr.match(net, bits)) return null;
    }
    const range = addr.range();
    if (range === 'unicast') return null;
    if (range === 'loopback' && policy.allowLoopback) return null;
    return range;
  };
  return { refusal, allows: (ip) => refusal(ip) === null };
}
