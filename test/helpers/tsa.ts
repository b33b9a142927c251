// A stand-in RFC 3161 time-stamping authority for tests: its own CA, and a signing certificate issued
// by it (extended key usage timeStamping, as RFC 3161 requires), made at start with WebCrypto and pkijs,
// and an HTTP endpoint that answers TimeStampReq with a signed token. `refuse` makes it answer
// "rejection".
import { randomInt, type webcrypto } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { Test } from 'tap';

const ID_CT_TST_INFO = '1.2.840.113549.1.9.16.1.4';
const ab = (b: Buffer): ArrayBuffer =>
  b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

export interface StandInTsa {
  url: string;
  /** The authority's CA (what TSA_CERT_FILE holds) and its PEM. */
  certificate: pkijs.Certificate;
  pem: string;
  /** Requests answered. */
  requests: number;
  refuse: boolean;
}

type Keys = { publicKey: webcrypto.CryptoKey; privateKey: webcrypto.CryptoKey };

/** A CA certificate (self-signed), or a time-stamping certificate issued by `issuer`. */
export async function makeCertificate(name: string, issuer?: { cert: pkijs.Certificate; keys: Keys }) {
  const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ]);
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ value: randomInt(1, 2 ** 31) });
  const cn = () =>
    new pkijs.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.Utf8String({ value: name }) });
  cert.subject.typesAndValues.push(cn());
  if (issuer) cert.issuer.typesAndValues.push(...issuer.cert.subject.typesAndValues);
  else cert.issuer.typesAndValues.push(cn());
  cert.notBefore.value = new Date(Date.now() - 86_400_000);
  cert.notAfter.value = new Date(Date.now() + 365 * 86_400_000);
  const eku = new pkijs.ExtKeyUsage({ keyPurposes: ['1.3.6.1.5.5.7.3.8'] });
  const basic = new pkijs.BasicConstraints({ cA: !issuer });
  cert.extensions = [
    new pkijs.Extension({
      extnID: '2.5.29.19',
      critical: true,
      extnValue: basic.toSchema().toBER(false),
      parsedValue: basic,
    }),
    ...(issuer
      ? [
          new pkijs.Extension({
            extnID: '2.5.29.37',
            critical: true,
            extnValue: eku.toSchema().toBER(false),
            parsedValue: eku,
          }),
        ]
      : []),
  ];
  await cert.subjectPublicKeyInfo.importKey(keys.publicKey);
  await cert.sign((issuer?.keys ?? keys).privateKey, 'SHA-256');
  const der = Buffer.from(cert.toSchema(true).toBER(false));
  const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;
  return { cert, keys, pem };
}

export async function startTsa(t: Test): Promise<StandInTsa> {
  const ca = await makeCertificate('firstseen stand-in TSA root');
  const { cert, keys } = await makeCertificate('firstseen stand-in TSA', ca);
  let serial = 1000;
  const tsa: StandInTsa = { url: '', certificate: ca.cert, pem: ca.pem, requests: 0, refuse: false };

  const answer = async (body: Buffer): Promise<Buffer> => {
    const req = pkijs.TimeStampReq.fromBER(ab(body));
    if (tsa.refuse)
      return Buffer.from(
        new pkijs.TimeStampResp({ status: new pkijs.PKIStatusInfo({ status: pkijs.PKIStatus.rejection }) })
          .toSchema()
          .toBER(false),
      );
    const tst = new pkijs.TSTInfo({
      version: 1,
      policy: '1.3.6.1.4.1.99999.1',
      messageImprint: req.messageImprint,
      serialNumber: new asn1js.Integer({ value: serial++ }),
      genTime: new Date(),
      ...(req.nonce && { nonce: req.nonce }),
    });
    const tstDer = tst.toSchema().toBER(false);
    const digest = await crypto.subtle.digest('SHA-256', tstDer);
    const signed = new pkijs.SignedData({
      version: 3,
      encapContentInfo: new pkijs.EncapsulatedContentInfo({
        eContentType: ID_CT_TST_INFO,
        eContent: new asn1js.OctetString({ valueHex: tstDer }),
      }),
      signerInfos: [
        new pkijs.SignerInfo({
          version: 1,
          sid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
          signedAttrs: new pkijs.SignedAndUnsignedAttributes({
            type: 0,
            attributes: [
              new pkijs.Attribute({
                type: '1.2.840.113549.1.9.3',
                values: [new asn1js.ObjectIdentifier({ value: ID_CT_TST_INFO })],
              }),
              new pkijs.Attribute({
                type: '1.2.840.113549.1.9.4',
                values: [new asn1js.OctetString({ valueHex: digest })],
              }),
            ],
          }),
        }),
      ],
      certificates: [cert], // the signer's certificate, as certReq asks
    });
    await signed.sign(keys.privateKey, 0, 'SHA-256');
    const token = new pkijs.ContentInfo({
      contentType: pkijs.ContentInfo.SIGNED_DATA,
      content: signed.toSchema(true),
    });
    return Buffer.from(
      new pkijs.TimeStampResp({
        status: new pkijs.PKIStatusInfo({ status: pkijs.PKIStatus.granted }),
        timeStampToken: token,
      })
        .toSchema()
        .toBER(false),
    );
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      tsa.requests++;
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/timestamp-query') {
        res.writeHead(400).end();
        return;
      }
      answer(Buffer.concat(chunks)).then(
        (der) => res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(der),
        () => res.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  tsa.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tsa`;
  return tsa;
}
