# One image for every role: `npm start` style (API + workers), API only, or worker only:
#   docker run IMAGE                      -> node --no-memory-reducer dist/workers/server.js (ROLE=all)
#   docker run -e ROLE=api IMAGE          -> API only
#   docker run IMAGE node --no-memory-reducer dist/workers/main.js -> a worker
# (--no-memory-reducer: see the README, "Processes and V8": idle-time GCs cost a busy-then-idle worker
# ~40 ms of CPU per idle spell)
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY stubs ./stubs
COPY scripts/apt-install.sh scripts/setup-video.sh scripts/setup-ocr.sh ./scripts/
# The build stage decodes no video and reads no image: npm ci's postinstall need not install ffmpeg or
# tesseract here.
ENV FIRSTSEEN_SKIP_VIDEO_SETUP=1 FIRSTSEEN_SKIP_OCR_SETUP=1
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workers ./workers
COPY schemas ./schemas
RUN npm run build

# tess-serve (native/tess-serve.cc): tesseract kept running between pictures, built against Debian's
# libtesseract by the same script as `npm ci` runs; only the program goes on, not the compiler.
FROM node:20-bookworm-slim AS native
WORKDIR /app
ENV FIRSTSEEN_OCR_FONTS=0
COPY scripts/apt-install.sh scripts/setup-ocr.sh ./scripts/
COPY native/tess-serve.cc ./native/
RUN sh scripts/setup-ocr.sh && test -x native/tess-serve

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Videos are decoded by ffmpeg/ffprobe in bounded child processes: Debian's maintained package (see README).
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends ffmpeg \
  && rm -rf /var/lib/apt/lists/* && ffmpeg -hide_banner -version | head -n 1
# Text in images is read by tesseract in bounded child processes: Debian's tesseract-ocr and the language
# packs of OCR_LANGUAGES, installed by the same script as `npm ci` runs (without the test fonts).
ENV FIRSTSEEN_OCR_FONTS=0 FIRSTSEEN_OCR_BUILD=0
COPY scripts/apt-install.sh scripts/setup-ocr.sh ./scripts/
COPY --from=native /app/native/tess-serve ./native/tess-serve
RUN sh scripts/setup-ocr.sh && rm -rf /var/lib/apt/lists/* && tesseract --version 2>&1 | head -n 1
COPY package.json package-lock.json ./
COPY stubs ./stubs
COPY scripts/apt-install.sh scripts/setup-video.sh ./scripts/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The evidence archives' directory (ARCHIVE_DIR), owned by the user that writes them; a volume mounted
# here takes this ownership.
RUN mkdir -p /archives && chown node:node /archives
ENV ARCHIVE_DIR=/archives
USER node
EXPOSE 3000
CMD ["node", "--no-memory-reducer", "dist/workers/server.js"]
