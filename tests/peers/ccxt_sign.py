"""ccxt's offline Binance WebSocket API signer, as a third-party check of legcore's
(tests/ccxt_sign.rs). Reads JSON lines {"params", "timestamp", "recvWindow", "secret"} on
stdin and writes, per line, the signature ccxt.pro's binanceusdm puts on those parameters
with its clock stubbed to `timestamp` (HMAC-SHA256 hex, or Ed25519 base64 for a PEM key).
"""

import json
import sys

import ccxt.pro


def main():
    api_key = sys.argv[1]
    out = []
    for line in sys.stdin:
        req = json.loads(line)
        ex = ccxt.pro.binanceusdm({"apiKey": api_key, "secret": req["secret"]})
        ex.options["recvWindow"] = req["recvWindow"]
        ex.nonce = lambda t=req["timestamp"]: t
        signed = ex.sign_params(dict(req["params"]))
        out.append(json.dumps({"signature": signed["signature"]}))
    print("\n".join(out))


if __name__ == "__main__":
    main()
