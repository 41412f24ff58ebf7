// The FIX codec peer of benches/fix.rs: QuickFIX (Debian's libquickfix-dev 1.15.1) doing
// what legcore's bench times, on the same bytes, in the same bench run.
//
//   quickfix_codec DICTIONARY NOS_FRAME ER_FRAME SAMPLES
//
// - encode: a NewOrderSingle with the fields of legcore's (read once from NOS_FRAME, the
//   frame legcore encoded), set on a fresh FIX::Message and written with toString
//   (BodyLength and CheckSum computed), as an application builds and sends one.
// - decode: ER_FRAME (a Binance ExecutionReport fill) parsed with setString against
//   Binance's dictionary (checksum and body length checked, the MiscFees group read), then
//   the fields legcore reads converted: ClOrdID, ExecType, LastQty and LastPx (doubles:
//   QuickFIX's PRICE/QTY convertor), TrdMatchID, AggressorIndicator, TransactTime, fee.
// Each is timed like benches/common: SAMPLES batches of 100 calls, the per-call mean of
// each batch; prints "PEER <name> p50 <ns> p99 <ns>".
#include <quickfix/DataDictionary.h>
#include <quickfix/FieldConvertors.h>
#include <quickfix/Group.h>
#include <quickfix/Message.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

static std::string slurp(const char* path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// (tag, value) of every field of a frame but 8, 9 and 10.
static std::vector<std::pair<int, std::string>> fields_of(const std::string& frame) {
  std::vector<std::pair<int, std::string>> out;
  size_t at = 0;
  while (at < frame.size()) {
    size_t eq = frame.find('=', at), soh = frame.find('\x01', at);
    if (eq == std::string::npos || soh == std::string::npos) break;
    int tag = std::stoi(frame.substr(at, eq - at));
    if (tag != 8 && tag != 9 && tag != 10) out.emplace_back(tag, frame.substr(eq + 1, soh - eq - 1));
    at = soh + 1;
  }
  return out;
}

static bool is_header(int tag) { return tag == 34 || tag == 35 || tag == 49 || tag == 52 || tag == 56; }

template <class F>
static void time_it(const char* name, long samples, F f) {
  for (int i = 0; i < 1000; i++) f();
  std::vector<double> means;
  means.reserve(samples);
  for (long s = 0; s < samples; s++) {
    auto t = std::chrono::steady_clock::now();
    for (int i = 0; i < 100; i++) f();
    auto ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t).count();
    means.push_back(ns / 100.0);
  }
  std::sort(means.begin(), means.end());
  auto q = [&](double p) { return means[std::min(means.size() - 1, size_t(p * means.size()))]; };
  std::printf("PEER %-40s p50 %9.2f ns  p99 %9.2f ns  (n=%zu)\n", name, q(0.5), q(0.99), means.size());
}

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: quickfix_codec DICTIONARY NOS_FRAME ER_FRAME SAMPLES\n");
    return 2;
  }
  FIX::DataDictionary dd(argv[1]);
  const auto nos = fields_of(slurp(argv[2]));
  const std::string er = slurp(argv[3]);
  const long samples = std::atol(argv[4]);
  volatile size_t sink = 0;

  time_it("quickfix/encode_new_order_single", samples, [&] {
    FIX::Message m;
    m.getHeader().setField(FIX::BeginString("FIX.4.4"));
    for (const auto& f : nos) {
      if (is_header(f.first)) m.getHeader().setField(f.first, f.second);
      else m.setField(f.first, f.second);
    }
    std::string out;
    m.toString(out);
    sink += out.size();
  });

  time_it("quickfix/decode_execution_report_fill", samples, [&] {
    FIX::Message m;
    m.setString(er, true, &dd);
    std::string id = m.getField(11);
    char exec_type = m.getField(150)[0];
    double qty = FIX::DoubleConvertor::convert(m.getField(32));
    double px = FIX::DoubleConvertor::convert(m.getField(31));
    long trade = FIX::IntConvertor::convert(m.getField(1003));
    bool taker = FIX::BoolConvertor::convert(m.getField(1057));
    FIX::UtcTimeStamp at = FIX::UtcTimeStampConvertor::convert(m.getField(60));
    FIX::Group fee(136, 137);
    m.getGroup(1, fee);
    double amount = FIX::DoubleConvertor::convert(fee.getField(137));
    std::string asset = fee.getField(138);
    sink += id.size() + exec_type + size_t(qty * 1e5) + size_t(px) + trade + taker + at.getHour() +
            size_t(amount * 1e8) + asset.size();
  });
  return sink == 42 ? 1 : 0;
}
