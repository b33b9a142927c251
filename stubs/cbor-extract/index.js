// See package.json: cbor-x catches this and uses its JavaScript decoder.
throw new Error('cbor-extract native acceleration is not installed (stub); cbor-x falls back to JavaScript');
