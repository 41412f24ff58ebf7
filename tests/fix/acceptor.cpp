// The venue of legcore's FIX tests: a Binance Spot FIX order-entry acceptor built on
// QuickFIX (Debian's libquickfix-dev 1.15.1), loading Binance's own dictionary.
//
//   acceptor SETTINGS.cfg        run the venue (tests/fix/acceptor.cfg, ${...} filled in)
//   acceptor --keygen PRIV PUB   write an Ed25519 key pair (PKCS#8 PEM, mode 0600; SPKI PEM)
//
// - QuickFIX is the FIX engine: parsing, dictionary validation (a bad field gets a
//   session Reject), sequence numbers in a FileStore, heartbeats, logout, resends. Its
//   own SocketAcceptor binds every interface (1.15 has no accept address), so this
//   program owns one socket bound to 127.0.0.1 and feeds QuickFIX's Session through a
//   Responder, one connection at a time.
// - Logon: Username(553) must equal the API key in LegcoreApiKeyFile, RawData(96) must
//   be an Ed25519 signature (OpenSSL EVP) by LegcorePublicKey over
//   MsgType SOH SenderCompID SOH TargetCompID SOH MsgSeqNum SOH SendingTime, as Binance
//   checks it; MessageHandling(25035) and HeartBtInt(108) as Binance requires them.
//   Anything else: the logon is refused (Logout with the reason, then disconnect).
// - Orders: the Nth NewOrderSingle gets the Nth action of LegcoreScript, one a line
//   (`#` starts a comment):
//     fill [px=P] [fee=F] [fee_ccy=C] [maker]   the whole order trades
//     partial qty=Q [px=P] [fee=F] [fee_ccy=C] [maker]
//                                   Q trades; an IOC's rest expires, any other rests
//     rest                          acknowledged and left open
//     reject code=C text=...        ExecutionReport Rejected, ErrorCode(25016)=C, Text
//     logout [fill]                 acknowledged, then News and Logout (Binance's
//                                   maintenance); with `fill` the order trades while
//                                   the client is away (stored, delivered on a resend)
//     drop [away=Q] [at_logon]      acknowledged, then the TCP connection drops (no
//                                   Logout; what the client sent after the order is
//                                   never read); Q of it trades while the client is
//                                   away (stored, delivered only by a resend), and with
//                                   `at_logon` the rest trades as soon as the client
//                                   has logged on again (sent live, before its
//                                   ResendRequest is read)
//   Prices are the order's Price(44) unless px= is given; every order is acknowledged
//   (ExecType NEW) before it trades. Quantities and prices have at most 8 decimals.
// - Cancels: an open order is cancelled (ExecType CANCELED); any other gets
//   OrderCancelReject with ErrorCode -2011 "Unknown order sent.", as Binance does.
// - LegcoreMessageLog gets every message in ("< ") and out ("> ") as QuickFIX sees it,
//   SOH shown as '|', and events ("# "), one a line, flushed at once.
// - Prints "listening PORT" on stdout when ready; exits when stdin closes.

#include <quickfix/Application.h>
#include <quickfix/FileStore.h>
#include <quickfix/Log.h>
#include <quickfix/Message.h>
#include <quickfix/Parser.h>
#include <quickfix/Responder.h>
#include <quickfix/Session.h>
#include <quickfix/SessionFactory.h>
#include <quickfix/SessionSettings.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

const char SOH = '\x01';

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

// ---------------------------------------------------------------- the message log

class MessageLog : public FIX::Log {
 public:
  explicit MessageLog(FILE* out) : out_(out) {}
  void clear() override {}
  void backup() override {}
  void onIncoming(const std::string& m) override { line("< ", m); }
  void onOutgoing(const std::string& m) override { line("> ", m); }
  void onEvent(const std::string& e) override { line("# ", e); }

  void line(const char* mark, std::string text) {
    std::replace(text.begin(), text.end(), SOH, '|');
    std::fprintf(out_, "%s%s\n", mark, text.c_str());
    std::fflush(out_);
  }

 private:
  FILE* out_;
};

class MessageLogFactory : public FIX::LogFactory {
 public:
  explicit MessageLogFactory(FILE* out) : log_(out) {}
  FIX::Log* create() override { return &log_; }
  FIX::Log* create(const FIX::SessionID&) override { return &log_; }
  void destroy(FIX::Log*) override {}
  MessageLog& log() { return log_; }

 private:
  MessageLog log_;
};

// ---------------------------------------------------------------- Ed25519

EVP_PKEY* read_public_key(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) throw std::runtime_error("cannot read " + path);
  EVP_PKEY* key = PEM_read_PUBKEY(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!key || EVP_PKEY_id(key) != EVP_PKEY_ED25519)
    throw std::runtime_error(path + " is no Ed25519 public key (PEM)");
  return key;
}

// Whether `b64` is an Ed25519 signature by `key` over `payload`.
bool verify(EVP_PKEY* key, const std::string& payload, const std::string& b64) {
  if (b64.size() != 88) return false;  // 64 bytes, base64 with padding
  unsigned char raw[66];
  if (EVP_DecodeBlock(raw, reinterpret_cast<const unsigned char*>(b64.data()), 88) != 66)
    return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key) == 1 &&
            EVP_DigestVerify(ctx, raw, 64, reinterpret_cast<const unsigned char*>(payload.data()),
                             payload.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

int keygen(const std::string& priv, const std::string& pub) {
  EVP_PKEY* key = nullptr;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
  if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &key) != 1) return 1;
  EVP_PKEY_CTX_free(ctx);
  umask(077);
  FILE* p = std::fopen(priv.c_str(), "w");
  FILE* q = std::fopen(pub.c_str(), "w");
  if (!p || !q) return 1;
  bool ok = PEM_write_PrivateKey(p, key, nullptr, nullptr, 0, nullptr, nullptr) == 1 &&
            PEM_write_PUBKEY(q, key) == 1;
  std::fclose(p);
  std::fclose(q);
  chmod(pub.c_str(), 0644);
  EVP_PKEY_free(key);
  return ok ? 0 : 1;
}

// ---------------------------------------------------------------- decimals, 8 places

const int64_t E8 = 100000000;

int64_t dec(const std::string& text) {
  size_t dot = text.find('.');
  std::string whole = text.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : text.substr(dot + 1);
  if (whole.empty() || frac.size() > 8 ||
      whole.find_first_not_of("0123456789") != std::string::npos ||
      frac.find_first_not_of("0123456789") != std::string::npos)
    throw std::runtime_error("not a decimal with at most 8 places: " + text);
  frac.resize(8, '0');
  return std::stoll(whole) * E8 + std::stoll(frac);
}

std::string dec_text(int64_t v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%lld.%08lld", static_cast<long long>(v / E8),
                static_cast<long long>(v % E8));
  return buf;
}

// ---------------------------------------------------------------- the script

struct Action {
  std::string kind;  // fill, partial, rest, reject, logout, drop, silent
  std::map<std::string, std::string> args;
  bool flag(const std::string& k) const { return args.count(k) > 0; }
  std::string get(const std::string& k, const std::string& d = "") const {
    auto i = args.find(k);
    return i == args.end() ? d : i->second;
  }
};

std::vector<Action> read_script(const std::string& path) {
  std::vector<Action> out;
  std::istringstream lines(read_file(path));
  std::string line;
  while (std::getline(lines, line)) {
    line = line.substr(0, line.find('#'));
    std::istringstream words(line);
    Action a;
    if (!(words >> a.kind)) continue;
    std::string w;
    while (words >> w) {
      size_t eq = w.find('=');
      std::string key = w.substr(0, eq);
      std::string value = eq == std::string::npos ? "" : w.substr(eq + 1);
      if (key == "text") {  // the rest of the line
        std::string rest;
        std::getline(words, rest);
        value += rest;
      }
      a.args[key] = value;
    }
    static const char* kinds[] = {"fill", "partial", "rest", "reject", "logout", "drop",
                                  "silent"};
    if (std::find(std::begin(kinds), std::end(kinds), a.kind) == std::end(kinds))
      throw std::runtime_error("script: unknown action " + a.kind);
    out.push_back(a);
  }
  return out;
}

// ---------------------------------------------------------------- the venue

struct Order {
  std::string cl_ord_id, order_id, symbol, side, ord_type, tif, price;
  int64_t qty = 0, cum = 0;
  bool open = true;
};

class Venue : public FIX::Application {
 public:
  Venue(std::vector<Action> script, EVP_PKEY* key, std::string api_key, MessageLog& log)
      : script_(std::move(script)), key_(key), api_key_(std::move(api_key)), log_(log) {}

  FIX::SessionID sid;

  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID&) override {
    log_.line("# ", "legcore: logged on");
    // Orders scripted to trade as soon as the client is back.
    for (Order* o : at_logon_) {
      send(trade(*o, o->qty - o->cum, o->price, Action()));
      log_.line("# ", "legcore: traded at logon " + o->cl_ord_id);
    }
    at_logon_.clear();
  }
  void onLogout(const FIX::SessionID&) override {
    // Orders scripted to trade while the client is away: stored now, resent later.
    for (auto& a : away_) {
      FIX::Message m = trade(*a.first, a.second, a.first->price, Action());
      FIX::Session::sendToTarget(m, sid);
      std::string raw = m.toString();
      log_.line("# legcore: stored while logged out: ", raw);
    }
    away_.clear();
  }
  // Whether the script dropped the connection (once).
  bool take_drop() {
    bool d = drop_;
    drop_ = false;
    return d;
  }
  void toAdmin(FIX::Message& m, const FIX::SessionID&) override {
    if (m.getHeader().getField(35) == "A") m.setField(25037, "4392a152-3481-4499-921a-6d42c50702e2");
  }
  void toApp(FIX::Message&, const FIX::SessionID&) throw(FIX::DoNotSend) override {}
  void fromAdmin(const FIX::Message& m, const FIX::SessionID&) throw(
      FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
      FIX::RejectLogon) override {
    if (m.getHeader().getField(35) == "A") check_logon(m);
  }
  void fromApp(const FIX::Message& m, const FIX::SessionID&) throw(
      FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
      FIX::UnsupportedMessageType) override {
    const std::string& type = m.getHeader().getField(35);
    if (type == "D")
      on_new(m);
    else if (type == "F")
      on_cancel(m);
    else
      throw FIX::UnsupportedMessageType();
  }

 private:
  void check_logon(const FIX::Message& m) {
    const FIX::Header& h = m.getHeader();
    auto refuse = [&](const std::string& why) {
      log_.line("# ", "legcore: logon refused: " + why);
      throw FIX::RejectLogon(why);
    };
    if (!m.isSetField(553) || m.getField(553) != api_key_) refuse("Username(553) is not the API key");
    if (!m.isSetField(96)) refuse("RawData(96) missing");
    std::string payload = h.getField(35) + SOH + h.getField(49) + SOH + h.getField(56) + SOH +
                          h.getField(34) + SOH + h.getField(52);
    if (!verify(key_, payload, m.getField(96))) refuse("RawData(96) signature invalid");
    std::string mh = m.isSetField(25035) ? m.getField(25035) : "";
    if (mh != "1" && mh != "2") refuse("MessageHandling(25035) must be 1 or 2");
    int hb = std::atoi(m.getField(108).c_str());
    if (hb < 5 || hb > 60) refuse("HeartBtInt(108) must be 5..60");
    std::string reset = m.isSetField(141) ? m.getField(141) : "N";
    log_.line("# ", "legcore: logon signature verified, seq " + h.getField(34) +
                        ", ResetSeqNumFlag " + reset);
  }

  FIX::Message report(const Order& o, const char* exec_type, const char* status) {
    FIX::Message m;
    m.getHeader().setField(35, "8");
    m.setField(17, std::to_string(++exec_id_));
    m.setField(11, o.cl_ord_id);
    m.setField(37, o.order_id);
    m.setField(38, dec_text(o.qty));
    m.setField(40, o.ord_type);
    m.setField(54, o.side);
    m.setField(55, o.symbol);
    if (!o.price.empty()) m.setField(44, o.price);
    if (!o.tif.empty()) m.setField(59, o.tif);
    m.setField(60, FIX::UtcTimeStampConvertor::convert(FIX::UtcTimeStamp(), 6));
    m.setField(150, exec_type);
    m.setField(14, dec_text(o.cum));
    m.setField(151, dec_text(o.open ? o.qty - o.cum : 0));
    m.setField(32, "0.00000000");
    m.setField(39, status);
    return m;
  }

  FIX::Message trade(Order& o, int64_t qty, const std::string& px, const Action& a) {
    o.cum += qty;
    if (o.cum == o.qty) o.open = false;
    FIX::Message m = report(o, "F", o.cum == o.qty ? "2" : "1");
    m.setField(32, dec_text(qty));
    m.setField(31, px);
    m.setField(1003, std::to_string(++trade_id_));
    m.setField(1057, a.flag("maker") ? "N" : "Y");
    if (a.flag("fee")) {
      FIX::Group fee(136, 137);
      fee.setField(137, a.get("fee"));
      fee.setField(138, a.get("fee_ccy", "USDT"));
      fee.setField(139, "4");
      m.addGroup(fee);
    }
    return m;
  }

  void send(FIX::Message m) { FIX::Session::sendToTarget(m, sid); }

  void on_new(const FIX::Message& m) {
    Order o;
    o.cl_ord_id = m.getField(11);
    o.order_id = std::to_string(++order_id_);
    o.symbol = m.getField(55);
    o.side = m.getField(54);
    o.ord_type = m.getField(40);
    o.tif = m.isSetField(59) ? m.getField(59) : "";
    o.price = m.isSetField(44) ? m.getField(44) : "";
    o.qty = dec(m.getField(38));
    Action a = next_ < script_.size() ? script_[next_] : Action{"rest", {}};
    ++next_;
    log_.line("# ", "legcore: order " + o.cl_ord_id + " action " + a.kind);
    if (a.kind == "reject") {
      o.open = false;
      FIX::Message r = report(o, "8", "8");
      r.setField(25016, a.get("code", "-1013"));
      r.setField(58, a.get("text", "Filter failure."));
      send(r);
      return;
    }
    if (a.kind == "silent") return;  // a venue that never answers this order
    orders_[o.cl_ord_id] = o;
    Order& live = orders_[o.cl_ord_id];
    send(report(live, "0", "0"));
    std::string px = a.get("px", live.price);
    if (a.kind == "fill") send(trade(live, live.qty, px, a));
    if (a.kind == "partial") {
      send(trade(live, std::min(dec(a.get("qty", "0")), live.qty), px, a));
      if (live.open && live.tif == "3") {
        live.open = false;
        send(report(live, "C", "C"));
      }
    }
    if (a.kind == "drop") {
      int64_t away = std::min(a.flag("away") ? dec(a.get("away")) : 0, live.qty);
      if (away > 0) away_.push_back({&live, away});
      if (a.flag("at_logon")) at_logon_.push_back(&live);
      drop_ = true;
    }
    if (a.kind == "logout") {
      if (a.flag("fill")) away_.push_back({&live, live.qty - live.cum});
      FIX::Message news;
      news.getHeader().setField(35, "B");
      news.setField(148, "Your connection is about to be closed. Please reconnect.");
      send(news);
      if (FIX::Session* s = FIX::Session::lookupSession(sid)) s->logout("Server maintenance.");
    }
  }

  void on_cancel(const FIX::Message& m) {
    std::string orig = m.isSetField(41) ? m.getField(41) : "";
    auto it = orders_.find(orig);
    if (it == orders_.end() && m.isSetField(37)) {
      it = std::find_if(orders_.begin(), orders_.end(),
                        [&](const std::pair<const std::string, Order>& p) {
                          return p.second.order_id == m.getField(37);
                        });
    }
    if (it == orders_.end() || !it->second.open) {
      FIX::Message r;
      r.getHeader().setField(35, "9");
      r.setField(11, m.getField(11));
      if (!orig.empty()) r.setField(41, orig);
      r.setField(55, m.getField(55));
      r.setField(434, "1");
      r.setField(25016, "-2011");
      r.setField(58, "Unknown order sent.");
      send(r);
      return;
    }
    Order& o = it->second;
    o.open = false;
    FIX::Message r = report(o, "4", "4");
    r.setField(11, m.getField(11));
    r.setField(41, o.cl_ord_id);
    send(r);
  }

  std::vector<Action> script_;
  size_t next_ = 0;
  EVP_PKEY* key_;
  std::string api_key_;
  MessageLog& log_;
  std::map<std::string, Order> orders_;
  std::vector<std::pair<Order*, int64_t>> away_;
  std::vector<Order*> at_logon_;
  bool drop_ = false;
  uint64_t order_id_ = 1000, exec_id_ = 0, trade_id_ = 500;
};

// ---------------------------------------------------------------- the socket

class Connection : public FIX::Responder {
 public:
  int fd = -1;
  bool send(const std::string& bytes) override {
    size_t done = 0;
    while (fd >= 0 && done < bytes.size()) {
      ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return done == bytes.size();
  }
  void disconnect() override {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

int listen_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 4) != 0)
    throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(port));
  return fd;
}

// Feeds the one connection's bytes to the session and ticks its timers until stdin
// closes.
void serve(FIX::Session& session, Venue& venue, int lfd) {
  Connection conn;
  FIX::Parser parser;
  for (;;) {
    pollfd fds[3] = {{0, POLLIN, 0}, {lfd, POLLIN, 0}, {conn.fd, POLLIN, 0}};
    ::poll(fds, conn.fd >= 0 ? 3 : 2, 20);
    if (fds[0].revents) {
      char b[64];
      if (::read(0, b, sizeof b) <= 0) break;
    }
    if (fds[1].revents & POLLIN) {
      int c = ::accept(lfd, nullptr, nullptr);
      if (conn.fd >= 0) {
        ::close(c);  // one connection at a time, as Binance allows per session
      } else if (c >= 0) {
        int one = 1;
        setsockopt(c, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof one);
        conn.fd = c;
        parser = FIX::Parser();
        session.setResponder(&conn);
      }
    }
    if (conn.fd >= 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
      char buf[8192];
      ssize_t n = ::read(conn.fd, buf, sizeof buf);
      if (n <= 0) {
        session.disconnect();
      } else {
        parser.addToStream(buf, static_cast<size_t>(n));
        std::string msg;
        while (conn.fd >= 0 && parser.readFixMessage(msg)) {
          session.next(msg, FIX::UtcTimeStamp());
          if (venue.take_drop()) session.disconnect();  // the rest is never read
        }
      }
    }
    if (conn.fd >= 0) session.next(FIX::UtcTimeStamp());
    if (conn.fd < 0 && !session.isEnabled()) session.logon();  // open for the next logon
  }
  session.disconnect();
}

int run(const std::string& cfg) {
  FIX::SessionSettings settings(cfg);
  const FIX::Dictionary& d = settings.get();
  FILE* log_file = std::fopen(d.getString("LegcoreMessageLog").c_str(), "a");
  if (!log_file) throw std::runtime_error("cannot open LegcoreMessageLog");
  MessageLogFactory logs(log_file);
  EVP_PKEY* key = read_public_key(d.getString("LegcorePublicKey"));
  Venue venue(read_script(d.getString("LegcoreScript")), key,
              read_file(d.getString("LegcoreApiKeyFile")), logs.log());
  FIX::FileStoreFactory store(settings);
  FIX::SessionFactory factory(venue, store, &logs);
  std::set<FIX::SessionID> ids = settings.getSessions();
  if (ids.size() != 1) throw std::runtime_error("give exactly one session");
  venue.sid = *ids.begin();
  FIX::Session* session = factory.create(venue.sid, settings.get(venue.sid));
  int port = static_cast<int>(settings.get(venue.sid).getInt("SocketAcceptPort"));
  int lfd = listen_loopback(port);
  std::printf("listening %d\n", port);
  std::fflush(stdout);
  serve(*session, venue, lfd);
  ::close(lfd);
  factory.destroy(session);
  EVP_PKEY_free(key);
  std::fclose(log_file);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 4 && std::string(argv[1]) == "--keygen") return keygen(argv[2], argv[3]);
    if (argc != 2) {
      std::fprintf(stderr, "usage: acceptor SETTINGS.cfg | acceptor --keygen PRIV PUB\n");
      return 2;
    }
    return run(argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "acceptor: %s\n", e.what());
    return 1;
  }
}
