"""Writes stocks_{train,val,test}.npz, the windows stocks_lstm.nn learns from.

data/stocks.csv is vega-datasets' stocks.csv (MIT by Debian's copyright file, as Debian's
python3-vega-datasets ships it): month-start closing prices of MSFT, AMZN,
IBM, AAPL (Jan 2000 - Mar 2010, 123 months) and GOOG (Aug 2004 - Mar 2010).

A sample is one stock at one month t: x holds its last 12 monthly log
returns, 100 * log(p[t-k+1] / p[t-k]) for k = 12..1 (percent, oldest
first), and y the next one, 100 * log(p[t+1] / p[t]). The split is
chronological by the month predicted: up to Dec 2006 trains, 2007
validates, Jan 2008 - Mar 2010 tests, every stock in each. Also written,
per sample, the baselines' forecasts of y: naive (the price stays: 0) and
ma3 (the price becomes the mean of the last three prices:
100 * log(mean(p[t-2..t]) / p[t])).

    /usr/bin/python3 data/make_stocks.py      # from models/
"""
import csv
import datetime
import os

import numpy as np

W = 12


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    series = {}
    with open(os.path.join(here, "stocks.csv")) as f:
        for row in csv.DictReader(f):
            d = datetime.datetime.strptime(row["date"], "%b %d %Y").date()
            series.setdefault(row["symbol"], []).append((d, float(row["price"])))
    sets = {"train": [], "val": [], "test": []}
    for sym in sorted(series):
        s = sorted(series[sym])
        p = np.array([v for _, v in s])
        r = 100 * np.diff(np.log(p))  # r[j]: from month j to j+1
        for t in range(W, len(p) - 1):  # predict month t+1 from returns up to t
            target = s[t + 1][0]
            part = "train" if target.year <= 2006 else "val" if target.year == 2007 else "test"
            x = r[t - W:t]
            y = r[t]
            ma3 = 100 * np.log(p[t - 2:t + 1].mean() / p[t])
            sets[part].append((x, y, ma3))
    for name, rows in sets.items():
        x = np.array([a for a, _, _ in rows], np.float32)[:, :, None]
        y = np.array([b for _, b, _ in rows], np.float32)
        ma3 = np.array([c for _, _, c in rows], np.float32)
        np.savez(os.path.join(here, "stocks_%s.npz" % name), x=x, y=y, naive=np.zeros_like(y), ma3=ma3)
        print(name, x.shape, "naive RMSE %.3f, ma3 RMSE %.3f" % (np.sqrt(np.mean(y ** 2)), np.sqrt(np.mean((y - ma3) ** 2))))


if __name__ == "__main__":
    main()
