"""NautilusTrader's Python order book, timed on the same inputs as the Rust peer benches.

Reads the `inputs.json` that `cargo bench -p legcore-peers` writes (the Binance USD-M
BTCUSDT snapshot, the existing-level updates and the walk quantities), builds an L2_MBP
`OrderBook` and times, one call at a time with `time.perf_counter_ns`:
- `OrderBook.update` of an existing level among the best 20 (op `book_update`);
- `OrderBook.get_avg_px_for_quantity` for a buy that takes exactly 1, 20 and 200 levels
  (op `book_walk`). The Python API has no `get_worst_px_for_quantity`.
Each timing includes the Python call overhead and one `perf_counter_ns` pair; that is the
cost a Python strategy pays. Prints one JSON line per (op, levels): p50_ns, p99_ns, n.

Usage: python nautilus_book.py INPUTS_JSON [N]
"""

import json
import sys
import time

from nautilus_trader.model.book import OrderBook
from nautilus_trader.model.data import BookOrder
from nautilus_trader.model.enums import BookType, OrderSide
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Price, Quantity


def pct(samples, q):
    s = sorted(samples)
    return s[min(len(s) - 1, int(q * len(s)))]


def line(op, levels, samples):
    print(
        json.dumps(
            {
                "kind": "python",
                "op": op,
                "levels": levels,
                "p50_ns": pct(samples, 0.5),
                "p99_ns": pct(samples, 0.99),
                "n": len(samples),
                "peer": "nautilus_trader_python",
            }
        ),
        flush=True,
    )


def main():
    inputs = json.load(open(sys.argv[1]))
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    tdp, ldp = inputs["tick_dp"], inputs["lot_dp"]
    tick, lot = 10.0**-tdp, 10.0**-ldp

    def order(side, ticks, lots):
        return BookOrder(side, Price(ticks * tick, tdp), Quantity(lots * lot, ldp), 0)

    book = OrderBook(InstrumentId.from_str("BTCUSDT-PERP.BINANCE"), BookType.L2_MBP)
    for side, levels in ((OrderSide.BUY, inputs["bids"]), (OrderSide.SELL, inputs["asks"])):
        for ticks, lots in levels:
            book.add(order(side, ticks, lots), 0)

    sides = (OrderSide.BUY, OrderSide.SELL)
    ups = [order(sides[s], t, q) for s, t, q in inputs["updates"]]
    clock = time.perf_counter_ns
    samples = []
    for i in range(n):
        o = ups[i % len(ups)]
        t = clock()
        book.update(o, i)
        samples.append(clock() - t)
    line("book_update", 20, samples[n // 10 :])

    for levels, lots in inputs["walks"]:
        q = Quantity(lots * lot, ldp)
        samples = []
        for _ in range(n // 4):
            t = clock()
            book.get_avg_px_for_quantity(q, OrderSide.BUY)
            samples.append(clock() - t)
        line("book_walk", levels, samples[len(samples) // 10 :])


if __name__ == "__main__":
    main()
