"""Python peers for `mirador bench --compare`: scikit-learn's and isotree's IsolationForest.

Reads one JSON argument {data, label, trees, psi, seeds: [int], peers: ["scikit-learn", "isotree"]}
and prints one JSON object per line: {peer, seed, rocAuc, prAuc, fitMs, scoreMs, peakMemMB}, or
{peer, unavailable: reason} when a library cannot be imported. Single-threaded on purpose
(n_jobs=1, nthreads=1) so the comparison with the single-threaded wasm kernel is fair; times are
process CPU time (time.process_time), like the Node side, because the machine is shared.
"""
import json
import resource
import sys
import time


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def load(path, label):
    import numpy as np
    with open(path) as f:
        header = [h.strip().strip('"') for h in f.readline().split(",")]
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    col = header.index(label)
    y = data[:, col].astype(int)
    X = np.ascontiguousarray(np.delete(data, col, axis=1))
    return X, y


def run_sklearn(X, trees, psi, seed):
    from sklearn.ensemble import IsolationForest
    model = IsolationForest(n_estimators=trees, max_samples=min(psi, X.shape[0]), random_state=seed, n_jobs=1)
    t0 = time.process_time()
    model.fit(X)
    t1 = time.process_time()
    scores = -model.score_samples(X)  # score_samples is the opposite of the paper's s(x)
    t2 = time.process_time()
    return scores, t1 - t0, t2 - t1


def run_isotree(X, trees, psi, seed):
    from isotree import IsolationForest
    model = IsolationForest(ntrees=trees, sample_size=min(psi, X.shape[0]), ndim=1, nthreads=1,
                            random_seed=seed, missing_action="fail")
    t0 = time.process_time()
    model.fit(X)
    t1 = time.process_time()
    scores = model.predict(X)
    t2 = time.process_time()
    return scores, t1 - t0, t2 - t1


RUNNERS = {"scikit-learn": ("sklearn", run_sklearn), "isotree": ("isotree", run_isotree)}


def main():
    args = json.loads(sys.argv[1])
    try:
        from sklearn.metrics import average_precision_score, roc_auc_score
        X, y = load(args["data"], args["label"])
    except ImportError as e:
        for peer in args["peers"]:
            print(json.dumps({"peer": peer, "unavailable": f"python module missing: {e.name}"}), flush=True)
        return
    for peer in args["peers"]:
        module, run = RUNNERS[peer]
        try:
            __import__(module)
        except ImportError:
            print(json.dumps({"peer": peer, "unavailable": f"python module {module} not importable"}), flush=True)
            continue
        for seed in args["seeds"]:
            before = peak_rss_mb()
            scores, fit_s, score_s = run(X, args["trees"], args["psi"], seed)
            print(json.dumps({
                "peer": peer, "seed": seed,
                "rocAuc": float(roc_auc_score(y, scores)),
                "prAuc": float(average_precision_score(y, scores)),
                "fitMs": fit_s * 1000.0, "scoreMs": score_s * 1000.0,
                "peakMemMB": max(0.0, peak_rss_mb() - before),
            }), flush=True)


if __name__ == "__main__":
    main()
