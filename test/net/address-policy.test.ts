import t from 'tap';
import { compilePolicy } from '../../src/net/address-policy.js';

const strict = compilePolicy({ allowLoopback: false, allowedNetworks: [] });

t.test('refuses every address that is not public unicast', async (t) => {
  const refused = [
    '127.0.0.1',
    '127.9.9.9',
    '0.0.0.0',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '100.100.100.200',
    '224.0.0.1',
    '255.255.255.255',
    '192.0.2.1',
    '198.18.0.1',
    '::1',
    '::',
    'fe80::1',
    'fc00::1',
    'fd00:ec2::254',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '64:ff9b::a00:1',
    '2002:a00:1::1',
    '2001:db8::1',
  ];
  for (const ip of refused) t.not(strict.refusal(ip), null, `${ip} refused`);
});

t.test('allows public unicast, IPv4 and IPv6', async (t) => {
  for (const ip of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])
    t.ok(strict.allows(ip), ip);
});

t.test('loopback only when configured, and nothing else comes with it', async (t) => {
  const p = compilePolicy({ allowLoopback: true, allowedNetworks: [] });
  t.ok(p.allows('127.0.0.1'));
  t.ok(p.allows('::1'));
  t.notOk(p.allows('10.0.0.1'));
  t.notOk(p.allows('169.254.169.254'));
});

t.test('operator-allowed networks', async (t) => {
  const p = compilePolicy({ allowLoopback: false, allowedNetworks: ['10.1.0.0/16'] });
  t.ok(p.allows('10.1.2.3'));
  t.notOk(p.allows('10.2.0.1'));
  t.throws(() => compilePolicy({ allowLoopback: false, allowedNetworks: ['nonsense'] }));
});
