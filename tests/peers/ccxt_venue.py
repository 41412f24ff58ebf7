"""ccxt.pro's binanceusdm trading against `legcore venue serve` on loopback.

Usage: ccxt_venue.py PORT API_KEY SECRET

Loads the market over REST, watches its orders on the user data stream, and over the
WebSocket API places a post-only order (open), fetches it, cancels it, buys and sells at
market (filled), watching the position on the stream (ACCOUNT_UPDATE), and is refused
twice: a post-only order that would take (ccxt's
InvalidOrder with -5022) and a request signed with a wrong secret
(AuthenticationError from -1022). Prints one JSON line of what it saw; exits 1 with the
reason on the first surprise.
"""

import asyncio
import json
import sys

import ccxt.pro as ccxtpro
from ccxt.base.errors import AuthenticationError, InvalidOrder

SYMBOL = "BTC/USDT:USDT"


def exchange(port, key, secret):
    ex = ccxtpro.binanceusdm(
        {
            "apiKey": key,
            "secret": secret,
            "options": {
                "fetchMarkets": {"types": ["linear"]},
                "fetchCurrencies": False,
                # ccxt's snapshot reads leverageBracket too, which venue serve lacks;
                # positions come from the stream's ACCOUNT_UPDATE.
                "watchPositions": {"fetchPositionsSnapshot": False},
            },
        }
    )
    base = f"127.0.0.1:{port}"
    for api in ("fapiPublic", "fapiPrivate"):
        ex.urls["api"][api] = f"http://{base}/fapi/v1"
    ex.urls["api"]["ws"]["ws-api"]["linear"] = f"ws://{base}/ws-fapi/v1"
    ex.urls["api"]["ws"]["linear"] = f"ws://{base}/ws"
    return ex


def check(cond, what):
    if not cond:
        raise AssertionError(what)


async def until(cond, seconds=5.0):
    for _ in range(int(seconds / 0.02)):
        if cond():
            return
        await asyncio.sleep(0.02)


async def watch(ex, seen, done):
    while not done.is_set():
        for o in await ex.watch_orders(SYMBOL):
            seen.setdefault(o["id"], []).append((o["status"], o["filled"]))


async def watch_positions(ex, positions, done):
    while not done.is_set():
        for p in await ex.watch_positions([SYMBOL]):
            positions.append([p["side"], p["contracts"]])


async def main(port, key, secret):
    ex = exchange(port, key, secret)
    seen, done, positions = {}, asyncio.Event(), []
    try:
        markets = await ex.load_markets()
        m = markets[SYMBOL]
        check(m["id"] == "BTCUSDT" and m["linear"], f"market {m['id']}")
        watcher = asyncio.create_task(watch(ex, seen, done))
        position_watcher = asyncio.create_task(watch_positions(ex, positions, done))
        await asyncio.sleep(0.5)  # the stream connects (listenKey, then the socket)

        rest = await ex.create_order_ws(SYMBOL, "limit", "buy", 0.2, 1000.0, {"postOnly": True})
        check(rest["status"] == "open", f"post-only order {rest['status']}")
        got = await ex.fetch_order_ws(rest["id"], SYMBOL)
        check(got["status"] == "open" and got["amount"] == 0.2, f"fetched {got}")
        gone = await ex.cancel_order_ws(rest["id"], SYMBOL)
        check(gone["status"] == "canceled", f"cancelled {gone['status']}")

        # A market order is answered at its ack (NEW) or, when the fills come with it,
        # FILLED; its fills come on the stream, and order.status then says FILLED.
        placed = []
        for side in ("buy", "sell"):
            o = await ex.create_order_ws(SYMBOL, "market", side, 0.01)
            check(o["status"] in ("open", "closed"), f"market {side} {o['status']}")
            await until(lambda: "closed" in [x[0] for x in seen.get(o["id"], [])])
            o = await ex.fetch_order_ws(o["id"], SYMBOL)
            check(o["status"] == "closed" and o["filled"] == 0.01, f"market {side}: {o}")
            placed.append(o)
        buy, sell = placed

        crossing = None
        try:
            await ex.create_order_ws(SYMBOL, "limit", "buy", 0.2, 10_000_000.0, {"postOnly": True})
        except InvalidOrder as e:
            crossing = "-5022" if "-5022" in str(e) else str(e)
        check(crossing == "-5022", f"crossing post-only: {crossing}")

        forged = exchange(port, key, secret + "x")
        forged.markets, forged.markets_by_id = ex.markets, ex.markets_by_id
        refused = None
        try:
            await forged.create_order_ws(SYMBOL, "market", "buy", 0.01)
        except AuthenticationError as e:
            refused = type(e).__name__
        finally:
            await forged.close()
        check(refused == "AuthenticationError", f"forged signature: {refused}")

        want = {rest["id"]: "canceled", buy["id"]: "closed", sell["id"]: "closed"}
        await until(lambda: all(s in [x[0] for x in seen.get(i, [])] for i, s in want.items()))
        for i, s in want.items():
            check(s in [x[0] for x in seen.get(i, [])], f"stream never said {i} {s}: {seen}")
        await until(lambda: len(positions) >= 2)
        done.set()
        watcher.cancel()
        position_watcher.cancel()
        print(
            json.dumps(
                {
                    "placed": 3,
                    "filled": buy["filled"] + sell["filled"],
                    "buy_average": buy["average"],
                    "stream_orders": len(seen),
                    "refused": [crossing, refused],
                    "positions": positions,
                }
            )
        )
    finally:
        await ex.close()


if __name__ == "__main__":
    try:
        asyncio.run(main(int(sys.argv[1]), sys.argv[2], sys.argv[3]))
    except Exception as e:  # noqa: BLE001 - the test prints whatever ccxt raised
        print(f"FAILED: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
