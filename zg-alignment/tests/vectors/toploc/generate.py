"""Interop vectors between the `toploc` package and zg's implementation.

Run inside this folder with toploc 0.1.6 on torch 2.6.0 and ZG pointing at the `zg` binary:
    ZG=../../../../target/debug/zg python generate.py
"""
import json, os, subprocess, torch, toploc
from toploc.C.csrc.poly import verify_proofs_base64 as c_verify

ZG = os.environ.get("ZG", "zg")
torch.manual_seed(20261202)

def variants(bits):
    """The same rules as tests/toploc.rs::variant."""
    out = {"same": bits.clone()}
    i = torch.arange(bits.numel())
    out["noise"] = torch.where(i % 3 == 0, bits ^ 0x0001, bits)
    t = bits ^ 0x0020
    out["tamper"] = torch.where(i % 7 == 0, t ^ 0x0080, t)
    out["negate"] = bits ^ -0x8000  # flip the sign bit (int16 view)
    return out

def as_bf16(bits):
    return bits.view(torch.bfloat16)

def plant(acts, collide):
    """Plants 128 "massive activations" of distinct magnitudes (above every Gaussian value) in
    each chunk, so the top-128 boundary has no tie and the reference's CPU top-k is unique. With
    `collide`, pairs of planted indices are congruent mod 65,497, 65,496, … so the injective
    modulus must count down."""
    chunks = toploc.poly.batch_activations(acts, 32)
    starts = [0]
    for i in range(1, len(acts), 32):
        starts.append(i)
    for ci, c in enumerate(chunks):
        n = c.numel()
        g = torch.Generator().manual_seed(ci)
        pos = torch.randperm(n, generator=g)[:128].tolist()
        if collide and n > 65_497 + 40:
            for j in range(6):
                pos[2 * j], pos[2 * j + 1] = 10 + 3 * j, 10 + 3 * j + 65_497 - j
        # 128 distinct bf16 magnitudes in [64, 4096): exponent 6..11, every mantissa.
        mags = torch.arange(0x4280, 0x4280 + 128 * 3, 3, dtype=torch.int32)
        mags = mags[torch.randperm(128, generator=g)]
        signs = (torch.randint(0, 2, (128,), generator=g) * 0x8000).to(torch.int32)
        vals = (mags | signs).to(torch.int16).view(torch.bfloat16)
        # write back into the tensors the chunk was built from
        members = [acts[0]] if ci == 0 else acts[starts[ci]:starts[ci] + 32]
        flat_views = [m.view(-1) for m in members]
        for p, v in zip(pos, vals):
            for fv in flat_views:
                if p < fv.numel():
                    fv[p] = v
                    break
                p -= fv.numel()

cases = {
    "small": ([7, 512], 64, 512),        # prefill 7 tokens, 64 generated, hidden 512
    "large": ([2, 2560], 32, 2560),      # a 32-token chunk of 81,920 values: modulus < 65,497
    "ties": None,
}
for name, spec in cases.items():
    if spec is None:
        # Magnitudes from a small set, so the top-128 boundary is full of exact ties.
        vals = torch.tensor([0.25, -0.5, 1.0, -1.0, 2.0, 0.125], dtype=torch.bfloat16)
        acts = [vals[torch.randint(0, 6, (600,))], vals[torch.randint(0, 6, (32, 40))]]
    else:
        shape, gen, hidden = spec
        acts = [torch.randn(*shape, dtype=torch.bfloat16) * 2]
        acts += [torch.randn(hidden, dtype=torch.bfloat16) * 2 for _ in range(gen)]
        plant(acts, name == "large")
    proofs = toploc.build_proofs_base64(acts, 32, 128)
    flat = [a.reshape(-1).view(torch.int16) for a in toploc.poly.batch_activations(acts, 32)]
    with open(f"{name}.activations.txt", "w") as f:
        for c in flat:
            f.write(" ".join(f"{int(v) & 0xFFFF:04x}" for v in c.tolist()) + "\n")
    with open(f"{name}.proofs.txt", "w") as f:
        f.write("\n".join(proofs) + "\n")
    ours = subprocess.run([ZG, "alignment", "toploc", "prove", "--activations", f"{name}.activations.txt"],
                          check=True, capture_output=True, text=True).stdout.split()
    rows = []
    for v in ["same", "noise", "tamper", "negate"]:
        for ci, c in enumerate(flat):
            bits = variants(c)[v]
            t = as_bf16(bits).reshape(1, -1)
            theirs = c_verify(t, [proofs[ci]], 1, 128)[0]
            by_them = c_verify(t, [ours[ci]], 1, 128)[0]
            rows.append({"variant": v, "chunk": ci,
                         "exp_mismatches": theirs.exp_mismatches,
                         "mant_err_mean": theirs.mant_err_mean,
                         "mant_err_median": theirs.mant_err_median,
                         "ours_by_their_verifier": [by_them.exp_mismatches, by_them.mant_err_mean, by_them.mant_err_median]})
    with open(f"{name}.expected.jsonl", "w") as f:
        f.write("\n".join(json.dumps(r) for r in rows) + "\n")
    same = [a == b for a, b in zip(proofs, ours)]
    print(name, "proof bytes equal per chunk:", same)
