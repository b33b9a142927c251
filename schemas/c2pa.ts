// The Content Credentials (C2PA) section of a report: what an image's embedded manifest store says
// about where it comes from, and whether that statement survived validation. Every string in here
// was read from the file, so it is what the file claims, cleaned and capped, never a fact we checked.
import { Type, type Static, type TSchema } from 'typebox';

const Nullable = <T extends TSchema>(schema: T, description: string) =>
  Type.Union([schema, Type.Null()], { description });
const Str = (description: string) => Nullable(Type.String(), description);
const Codes = (description: string) => Type.Array(Type.String(), { description });

export const C2paSigner = Type.Object(
  {
    common_name: Str('Subject CN of the signing certificate, as written in the certificate.'),
    organization: Str('Subject O of the signing certificate.'),
    issuer_common_name: Str('Issuer CN of the signing certificate.'),
    issuer_organization: Str('Issuer O of the signing certificate.'),
    not_before: Str('Start of the certificate’s validity (ISO 8601).'),
    not_after: Str('End of the certificate’s validity (ISO 8601).'),
    chain_length: Type.Integer({ description: 'Certificates in the embedded chain, the signer’s included.' }),
  },
  {
    additionalProperties: false,
    description:
      'Who signed, as stated by the certificate embedded in the file. Anyone can make a certificate with any name: ' +
      'without a trust list (see `trust`) this is a claim, not an identity.',
  },
);

export const C2paAction = Type.Object(
  {
    action: Type.String({
      description: 'e.g. c2pa.created, c2pa.opened, c2pa.edited, c2pa.placed, c2pa.converted.',
    }),
    software_agent: Str('Tool that performed the action (name and version).'),
    when: Str('When the action happened, as stated in the manifest.'),
    digital_source_type: Str(
      'IPTC digital source type URI, e.g. …/digitalsourcetype/trainedAlgorithmicMedia.',
    ),
    description: Str('Human-readable description the tool attached to the action.'),
  },
  { additionalProperties: false },
);

export const C2paIngredientManifest = Type.Object(
  {
    label: Type.String({ description: 'Label of the ingredient’s manifest in this store.' }),
    claim_generator: Str('Tool that wrote the ingredient’s manifest.'),
    title: Str('Title in the ingredient’s own claim.'),
    signer_common_name: Str('Subject CN of the certificate that signed the ingredient’s manifest.'),
    signer_organization: Str('Subject O of that certificate.'),
    ai_generated: Type.Boolean({
      description: 'The ingredient’s own actions declare a generative-AI digital source type.',
    }),
  },
  { additionalProperties: false },
);

export const C2paIngredient = Type.Object(
  {
    title: Str('dc:title of the ingredient (often its file name).'),
    format: Str('dc:format of the ingredient (MIME type).'),
    relationship: Str(
      'parentOf (the asset this one was edited from), componentOf (placed into it) or inputTo.',
    ),
    document_id: Str('XMP document ID of the ingredient.'),
    instance_id: Str('XMP instance ID of the ingredient.'),
    manifest_label: Str(
      'Label of the manifest the ingredient points to, null when it had no Content Credentials.',
    ),
    manifest: Nullable(
      C2paIngredientManifest,
      'Summary of that manifest when it is in this store; null when absent or the ingredient had none.',
    ),
    recorded_validation_codes: Codes(
      'Status codes the signing tool recorded for the ingredient when it was added (v1/v2 validationStatus, v3 ' +
        'failures): its judgement at the time, not ours.',
    ),
    validation_codes: Codes('Status codes our validator produced for this ingredient assertion.'),
  },
  { additionalProperties: false },
);

export const C2paTrainingMining = Type.Object(
  {
    purpose: Type.String({ description: 'e.g. c2pa.ai_generative_training, cawg.data_mining.' }),
    choice: Str('allowed, notAllowed or constrained.'),
  },
  { additionalProperties: false },
);

export const C2paManifest = Type.Object(
  {
    label: Type.String({ description: 'Manifest label (URN) in the store.' }),
    type: Type.Union([Type.Literal('standard'), Type.Literal('update')], {
      description: '`update` manifests only add assertions to the previous manifest; they bind no pixels.',
    }),
    claim_version: Nullable(
      Type.Integer(),
      'Claim structure version (1 or 2), null when the claim is unreadable.',
    ),
    claim_generator: Str('Software that wrote the claim, e.g. "Adobe Photoshop 26.9.0".'),
    claim_generator_info: Type.Array(
      Type.Object(
        { name: Type.String(), version: Type.Union([Type.String(), Type.Null()]) },
        { additionalProperties: false },
      ),
      { description: 'Structured claim generator entries (name and version).' },
    ),
    title: Str('dc:title of the asset in the claim (often the file name when it was signed).'),
    format: Str('dc:format in the claim (MIME type at signing).'),
    instance_id: Str('XMP instance ID of the asset at signing.'),
    signer: Nullable(C2paSigner, 'Signing certificate details; null when the signature could not be read.'),
    signing_time: Str(
      'Time from the RFC 3161 time-stamp token in the signature (ISO 8601); null without one or when unreadable.',
    ),
    actions: Type.Array(C2paAction, {
      description: 'Actions declared in the manifest, in order (capped at 50).',
    }),
    actions_truncated: Type.Boolean({ description: 'More actions existed than are listed.' }),
    ingredients: Type.Array(C2paIngredient, { description: 'Ingredients (capped at 20).' }),
    ingredients_truncated: Type.Boolean({ description: 'More ingredients existed than are listed.' }),
    training_mining: Type.Array(C2paTrainingMining, {
      description:
        'Training and data-mining permissions. These say whether the asset may be used to train AI, not whether AI made it.',
    }),
    assertion_labels: Codes('Labels of every assertion in the manifest (capped at 50).'),
  },
  { additionalProperties: false },
);

export const C2paAiEvidence = Type.Object(
  {
    manifest_label: Type.String({ description: 'Manifest that holds the declaration.' }),
    source: Type.Union([Type.Literal('action'), Type.Literal('metadata')], {
      description:
        '`action`: an action’s digitalSourceType; `metadata`: an IPTC DigitalSourceType in a metadata assertion.',
    }),
    action: Str('The action carrying the digital source type, for source `action`.'),
    digital_source_type: Type.String(),
  },
  { additionalProperties: false },
);

export const C2paStatusEntry = Type.Object(
  {
    code: Type.String({
      description: 'C2PA status code, e.g. assertion.dataHash.match, claimSignature.mismatch.',
    }),
    success: Type.Boolean({ description: 'false for a failure code.' }),
    url: Str('JUMBF URI of the part the code is about.'),
    explanation: Str('Validator’s explanation.'),
  },
  { additionalProperties: false },
);

export const C2paValidation = Type.Object(
  {
    status: Type.Union(
      [
        Type.Literal('valid'),
        Type.Literal('signature_mismatch'),
        Type.Literal('data_hash_mismatch'),
        Type.Literal('invalid'),
        Type.Literal('could_not_validate'),
        Type.Literal('not_checked'),
      ],
      {
        description:
          '`valid`: signature and content hash verify and no failure code was raised; `signature_mismatch`: the claim ' +
          'signature does not verify (the manifest was altered or forged); `data_hash_mismatch`: the pixels (or other ' +
          'bound bytes) changed after signing; `invalid`: another failure (see failure_codes); `could_not_validate`: ' +
          'the reader failed (see reason); `not_checked`: no manifest, or a format the reader does not support. ' +
          '`valid` says nothing about who signed: see `trust`.',
      },
    ),
    reason: Str('Why validation could not run or was not run, or a summary of the failures.'),
    signature: Type.Union([Type.Literal('verified'), Type.Literal('mismatch'), Type.Literal('not_checked')], {
      description: 'The claim signature against the key in the embedded certificate.',
    }),
    content_hash: Type.Union([Type.Literal('match'), Type.Literal('mismatch'), Type.Literal('not_checked')], {
      description: 'The hard binding (hash of the asset bytes outside the manifest) against the asset.',
    }),
    failure_codes: Codes('Distinct failure codes raised by the validator.'),
    status_codes: Type.Array(C2paStatusEntry, {
      description:
        'The validator’s raw status list (capped at 100), plus the hard-binding check we run when the library ' +
        'stopped before it. Note: @trustnxt/c2pa-ts emits signingCredential.trusted and timeStamp.trusted after ' +
        'certificate profile and validity checks only, without any trust list: they do not mean trusted.',
    }),
    duration_ms: Type.Number({ description: 'Time spent reading and validating.' }),
  },
  { additionalProperties: false },
);

export const ContentCredentials = Type.Object(
  {
    present: Nullable(
      Type.Boolean(),
      'true: a C2PA manifest store is embedded (even if damaged or in a format we cannot validate); false: the ' +
        'file was read and holds none; null: not checked (format the reader does not support, unreadable ' +
        'container, or too large).',
    ),
    container: Nullable(
      Type.Union([Type.Literal('jpeg'), Type.Literal('png'), Type.Literal('heif')]),
      'Container the C2PA reader parsed.',
    ),
    note: Type.String({ description: 'One-line summary for a reader of the report.' }),
    manifest_count: Type.Integer({
      description: 'Manifests in the store (the active one and its ingredients’).',
    }),
    active_manifest: Nullable(C2paManifest, 'The last manifest in the store, which describes this file.'),
    ai_generated: Nullable(
      Type.Boolean(),
      'true when any manifest in the store (the active one or an ingredient’s) declares a generative-AI digital ' +
        'source type (trainedAlgorithmicMedia, compositeWithTrainedAlgorithmicMedia). false only means the credentials ' +
        'do not declare it; null when no manifest could be read.',
    ),
    ai_evidence: Type.Array(C2paAiEvidence, {
      description: 'The declarations behind ai_generated (capped at 10).',
    }),
    validation: C2paValidation,
    trust: Type.Object(
      {
        status: Type.Union([Type.Literal('trusted'), Type.Literal('untrusted'), Type.Literal('unknown')]),
        reason: Type.String(),
      },
      {
        additionalProperties: false,
        description:
          'Whether the signer is on a C2PA trust list. No trust list is configured yet, so this is `unknown` whenever ' +
          'a manifest is present: a valid signature from an unknown certificate proves integrity, not origin.',
      },
    ),
  },
  { $id: 'ContentCredentials', additionalProperties: false },
);
export type ContentCredentials = Static<typeof ContentCredentials>;
export type C2paManifest = Static<typeof C2paManifest>;
export type C2paIngredient = Static<typeof C2paIngredient>;
export type C2paAction = Static<typeof C2paAction>;
export type C2paSigner = Static<typeof C2paSigner>;
export type C2paStatusEntry = Static<typeof C2paStatusEntry>;
export type C2paAiEvidence = Static<typeof C2paAiEvidence>;
