import numpy as np, scipy, scipy.stats as st
from scipy.spatial.distance import jensenshannon
rng = np.random.default_rng(20261202)
def q(x, d=6): return [f"{v:.{d}f}" for v in x]
cases = {
 "normal_shift": (rng.normal(0,1,500), rng.normal(0.3,1,400)),
 "same_dist": (rng.normal(5,2,300), rng.normal(5,2,350)),
 "ties_scale": (np.round(rng.exponential(1.0,250),1), np.round(rng.exponential(1.5,260),1)),
 "small_bins_empty": (rng.uniform(0,1,200), rng.uniform(0.5,1.5,220)),
}
out=[]
for name,(b,c) in cases.items():
    bs, cs = q(b), q(c)
    open(f"{name}.baseline.txt","w").write("\n".join(bs)+"\n")
    open(f"{name}.current.txt","w").write("\n".join(cs)+"\n")
    b = np.array([float(x) for x in bs]); c = np.array([float(x) for x in cs])
    for N in (10, 20):
        n = len(b); sb = np.sort(b)
        edges = np.array([sb[-(-i*n//N)-1] for i in range(1,N)])
        kb = np.bincount(np.searchsorted(edges, b, side='left'), minlength=N)
        kc = np.bincount(np.searchsorted(edges, c, side='left'), minlength=N)
        pb, pc = kb/len(b), kc/len(c)
        fb = np.where(kb==0, 1e-6, pb); fc = np.where(kc==0, 1e-6, pc)
        psi = float(np.sum((fc-fb)*np.log(fc/fb)))
        js = float(jensenshannon(pb, pc))
        tab = np.array([kb,kc]); tab = tab[:, tab.sum(0)>0]
        chi = float(st.chi2_contingency(tab, correction=False)[0])
        ks = float(st.ks_2samp(b,c).statistic)
        w1 = float(st.wasserstein_distance(b,c))
        out.append(f"{name} {N} {ks!r} {w1!r} {psi!r} {js!r} {chi!r}")
hdr = f"# name bins ks_statistic wasserstein_1 psi js_distance chi_square  (numpy {np.__version__}, scipy {scipy.__version__})"
open("expected.txt","w").write(hdr+"\n"+"\n".join(out)+"\n")
