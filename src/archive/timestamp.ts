// Trusted timestamps (RFC 3161) of evidence archives: the sha256 of a WACZ's datapackage.json is sent
// to a time-stamping authority (TSA_URL), whose signed token says that this digest existed at that
// time. The token (DER) goes into datapackage-digest.json; anyone can check it later with the
// authority's certificate (e.g. `openssl ts -verify`). Requests and tokens are built and read with
// pkijs/asn1js.
import { readFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { ArchiveTimestamp } from '../../schemas/archive.js';
import type { Logger } from '../logger.js';
import type { SafeFetcher } from '../net/safe-fetch.js';
import type { Timestamper } from './archive-check.js';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const ID_CT_TST_INFO = '1.2.840.113549.1.9.16.1.4';
const EXT_KEY_USAGE = '2.5.29.37';
const TIME_STAMPING = '1.3.6.1.5.5.7.3.8';
/** A token is a few KB (signature and certificates): anything much larger is not one. */
const MAX_RESPONSE_BYTES = 256 * 1024;

const toArrayBuffer = (b: Buffer): ArrayBuffer =>
  b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

export class TimestampError extends Error {
  override name = 'TimestampError';
}

/** The DER of a TimeStampReq for a sha256 digest (hex), asking for the authority's certificate. */
export function timestampRequest(digestHex: string, nonce: Buffer): Buffer {
  const req = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: SHA256 }),
      hashedMessage: new asn1js.OctetString({ valueHex: toArrayBuffer(Buffer.from(digestHex, 'hex')) }),
    }),
    nonce: new asn1js.Integer({ valueHex: toArrayBuffer(nonce) }),
    certReq: true,
  });
  return Buffer.from(req.toSchema().toBER(false));
}

export interface VerifiedToken {
  time: Date;
  serial: string;
  /** The signer's certificate subject, as the token carries it. */
  signer: string;
}

/** Reads PEM certificates (one file may hold several). */
export function certificatesFromPem(pem: string): pkijs.Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) =>
    pkijs.Certificate.fromBER(
      toArrayBuffer(Buffer.from(block.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64')),
    ),
  );
}

/**
 * Checks a token for `data` (the stamped bytes: a WACZ's datapackage.json): it is a signed TSTInfo
 * whose imprint is the sha256 of `data` (and this nonce, when given), and its signature verifies with
 * the signer's certificate; with `trusted` certificates, that certificate must chain to one of them.
 */
export async function verifyTimestampToken(
  token: Buffer,
  data: Buffer,
  options: { trusted?: pkijs.Certificate[]; nonce?: Buffer } = {},
): Promise<VerifiedToken> {
  const digestHex = createHash('sha256').update(data).digest('hex');
  const content = pkijs.ContentInfo.fromBER(toArrayBuffer(token));
  if (content.contentType !== pkijs.ContentInfo.SIGNED_DATA)
    throw new TimestampError('The token is not signed data');
  const signed = new pkijs.SignedData({ schema: content.content });
  const eContent = signed.encapContentInfo;
  if (eContent.eContentType !== ID_CT_TST_INFO || !eContent.eContent)
    throw new TimestampError('The token does not hold a TSTInfo');
  const tst = pkijs.TSTInfo.fromBER(eContent.eContent.getValue());
  const imprint = tst.messageImprint;
  if (imprint.hashAlgorithm.algorithmId !== SHA256)
    throw new TimestampError('The token does not stamp a sha256 digest');
  if (Buffer.from(imprint.hashedMessage.getValue()).toString('hex') !== digestHex)
    throw new TimestampError('The token stamps another digest');
  if (options.nonce && !Buffer.from(tst.nonce?.valueBlock.valueHexView ?? []).equals(options.nonce))
    throw new TimestampError('The token answers another request (nonce)');
  const trusted = options.trusted ?? [];
  const ok = await signed
    .verify({
      signer: 0,
      data: toArrayBuffer(data),
      checkChain: trusted.length > 0,
      trustedCerts: trusted,
      extendedMode: true,
    })
    .then(
      (r) => r.signatureVerified === true && (trusted.length === 0 || r.signerCertificateVerified === true),
    )
    .catch(() => false);
  if (!ok) throw new TimestampError('The token’s signature does not verify');
  const signerCert = signed.certificates?.find(
    (c): c is pkijs.Certificate =>
      c instanceof pkijs.Certificate &&
      (c.extensions ?? []).some(
        (e) =>
          e.extnID === EXT_KEY_USAGE &&
          e.parsedValue instanceof pkijs.ExtKeyUsage &&
          e.parsedValue.keyPurposes.includes(TIME_STAMPING),
      ),
  );
  // RFC 3161 2.3: the authority's certificate is for time-stamping (and only that).
  if (!signerCert) throw new TimestampError('The token is not signed by a time-stamping certificate');
  return {
    time: tst.genTime,
    serial: Buffer.from(tst.serialNumber.valueBlock.valueHexView).toString('hex'),
    signer: signerCert.subject.typesAndValues.map((tv) => String(tv.value.valueBlock.value)).join(', '),
  };
}

/** A Timestamper for archives (src/archive/archive-check.ts) that asks the authority at `url`. */
export function createTimestamper(options: {
  url: string;
  fetcher: SafeFetcher;
  /** PEM file of the authority's certificate or its CA; empty: the token's own certificate is used. */
  certFile: string;
  log: Logger;
}): Timestamper {
  const trusted = options.certFile ? certificatesFromPem(readFileSync(options.certFile, 'utf8')) : [];
  return {
    async stamp(datapackage) {
      const digestHex = createHash('sha256').update(datapackage).digest('hex');
      const datapackageHash = `sha256:${digestHex}`;
      const nonce = randomBytes(8);
      nonce[0] = (nonce[0] as number) & 0x7f; // a positive INTEGER
      try {
        const res = await options.fetcher.post(options.url, timestampRequest(digestHex, nonce), {
          headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
          maxBytes: MAX_RESPONSE_BYTES,
        });
        if (res.status !== 200) throw new TimestampError(`The authority answered HTTP ${res.status}`);
        const resp = pkijs.TimeStampResp.fromBER(toArrayBuffer(res.body));
        const status = resp.status.status;
        // Granted, or granted with modifications; anything else is a refusal.
        const granted = [pkijs.PKIStatus.granted, pkijs.PKIStatus.grantedWithMods];
        if (!granted.includes(status) || !resp.timeStampToken)
          throw new TimestampError(`The authority refused (PKIStatus ${status})`);
        const token = Buffer.from(resp.timeStampToken.toSchema().toBER(false));
        const verified = await verifyTimestampToken(token, datapackage, { trusted, nonce });
        const summary: ArchiveTimestamp = {
          authority: options.url,
          time: verified.time.toISOString(),
          serial: verified.serial,
        };
        return {
          summary,
          extras: {
            timestamp: {
              standard: 'RFC 3161',
              authority: options.url,
              time: summary.time,
              hash: datapackageHash,
              token: token.toString('base64'),
            },
          },
        };
      } catch (err) {
        // The archive is kept without a timestamp rather than not at all.
        options.log.warn({ err, tsa: options.url }, 'archive not timestamped');
        return null;
      }
    },
  };
}
