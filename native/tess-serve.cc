// tess-serve: tesseract (libtesseract 5) kept running between pictures, so the language models are loaded
// once per process instead of once per picture (src/pipeline/ocr/engine.ts runs it and bounds it: killed
// at a time limit, an address-space limit, a cap on its output, one thread). Loading a Latin model costs
// tesseract ~0.1 s of CPU (its universal ambiguity table is matched against the model's characters), three
// models ~0.15 s: as much as reading a screenshot's text once.
//
// Protocol, one request at a time on stdin, one answer on stdout:
//   request: "<languages> <psm> <width> <height>[ <invert>]\n" then width*height bytes of grey pixels, row
//            by row; languages as tesseract's -l (eng+rus+ara), psm tesseract's page segmentation mode,
//            invert tesseract's tessedit_do_invert (1 when absent, tesseract's default: unsure lines are
//            read a second time inverted; 0 for pictures of dark letters on white, where that never reads
//            better).
//   answer:  "OK <n>\n" then n bytes of tesseract's TSV (as `tesseract ... tsv` writes it), or
//            "ERR <message>\n" (a language that cannot be loaded, a picture that cannot be read).
// The engines, one per language set asked for, stay loaded until the process ends (stdin closed).
// Build: g++ -O2 -o tess-serve tess-serve.cc $(pkg-config --cflags --libs tesseract lept)
// (scripts/setup-ocr.sh does it when libtesseract-dev and a compiler can be had).
//
// OpenMP regions run in the calling thread (the GOMP_* functions at the end of this file). Debian's
// libtesseract is built with OpenMP: its LSTM enters a parallel region for each time step of each layer.
// With one thread (OMP_THREAD_LIMIT=1) libgomp still sets up a team and wakes a futex at its end, ~12,000
// system calls per screenshot, 17% of tesseract's CPU (bench:ocr's English screenshot strip: 95 -> 78 ms,
// the same TSV byte for byte on every bench screenshot, psm 3 and 6).
#include <tesseract/baseapi.h>
#include <leptonica/allheaders.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

static const long MAX_SIDE = 1 << 15;
// Language sets kept loaded (the default OCR_LANGUAGES make ten: eng+rus+ara and each language alone,
// ~115 MB resident in all); past it they are all dropped and loaded again as asked.
static const int MAX_ENGINES = 16;

static void answerError(const std::string &why) {
  std::string msg = why;
  for (char &c : msg)
    if (c == '\n') c = ' ';
  std::fprintf(stdout, "ERR %s\n", msg.c_str());
  std::fflush(stdout);
}

int main() {
  std::map<std::string, std::unique_ptr<tesseract::TessBaseAPI>> engines;
  char header[512];
  std::vector<unsigned char> pixels;
  while (std::fgets(header, sizeof header, stdin)) {
    char langs[256];
    int psm = 0;
    long width = 0;
    long height = 0;
    int invert = 1;
    const int fields = std::sscanf(header, "%255s %d %ld %ld %d", langs, &psm, &width, &height, &invert);
    if ((fields != 4 && fields != 5) || width <= 0 || height <= 0 || width > MAX_SIDE || height > MAX_SIDE ||
        psm < 0 || psm > 13 || (invert != 0 && invert != 1)) {
      answerError("bad request");
      return 2;  // the stream cannot be trusted any more
    }
    pixels.resize(static_cast<size_t>(width) * static_cast<size_t>(height));
    if (std::fread(pixels.data(), 1, pixels.size(), stdin) != pixels.size()) return 2;
    auto found = engines.find(langs);
    if (found == engines.end()) {
      if (static_cast<int>(engines.size()) >= MAX_ENGINES) engines.clear();
      auto api = std::make_unique<tesseract::TessBaseAPI>();
      if (api->Init(nullptr, langs, tesseract::OEM_DEFAULT) != 0) {
        answerError(std::string("cannot load ") + langs);
        continue;
      }
      found = engines.emplace(langs, std::move(api)).first;
    }
    tesseract::TessBaseAPI &api = *found->second;
    api.SetPageSegMode(static_cast<tesseract::PageSegMode>(psm));
    api.SetVariable("tessedit_do_invert", invert ? "1" : "0");
    // The same picture the command line reads from a PGM on stdin (8-bit grey, no resolution given).
    Pix *pix = pixCreate(width, height, 8);
    if (!pix) {
      answerError("cannot allocate the picture");
      continue;
    }
    l_uint32 *data = pixGetData(pix);
    int wpl = pixGetWpl(pix);
    for (long y = 0; y < height; y++) {
      l_uint32 *line = data + y * wpl;
      const unsigned char *row = pixels.data() + y * width;
      for (long x = 0; x < width; x++) SET_DATA_BYTE(line, x, row[x]);
    }
    api.SetImage(pix);
    char *tsv = nullptr;
    if (api.Recognize(nullptr) == 0) tsv = api.GetTSVText(0);
    pixDestroy(&pix);
    if (!tsv) {
      api.Clear();
      answerError("recognition failed");
      continue;
    }
    size_t n = std::strlen(tsv);
    std::fprintf(stdout, "OK %zu\n", n);
    std::fwrite(tsv, 1, n, stdout);
    std::fflush(stdout);
    delete[] tsv;
    api.Clear();
  }
  return 0;
}

// libtesseract's OpenMP entry points (those libtesseract 5.3 imports), defined here so that the dynamic
// linker binds libtesseract to them instead of libgomp's (an executable's definitions come first; ld
// exports them because libtesseract refers to them). Each parallel region is run once by this thread, as
// a team of one would run it: libgomp's omp_get_num_threads() and omp_get_thread_num() answer 1 and 0
// outside a team, so a `parallel for` does all its iterations; `parallel sections` run in order.
// Only these four are defined: a libtesseract that imports any other GOMP_ function (a loop schedule, a
// barrier) would mix them with libgomp's own, so scripts/setup-ocr.sh compiles this part only when the
// installed library imports exactly these (TESS_SERVE_OWN_OPENMP), and libgomp runs the regions otherwise.
#ifdef TESS_SERVE_OWN_OPENMP
extern "C" {
static unsigned sectionNext = 0;
static unsigned sectionCount = 0;

void GOMP_parallel(void (*fn)(void *), void *data, unsigned, unsigned) { fn(data); }

void GOMP_parallel_sections(void (*fn)(void *), void *data, unsigned, unsigned count, unsigned) {
  const unsigned next = sectionNext;
  const unsigned total = sectionCount;
  sectionNext = 1;
  sectionCount = count;
  fn(data);
  sectionNext = next;
  sectionCount = total;
}

// The next section to run (numbered from 1), 0 when all have run.
unsigned GOMP_sections_next(void) { return sectionNext <= sectionCount ? sectionNext++ : 0; }

void GOMP_sections_end_nowait(void) {}
}
#endif
