#!/usr/bin/env python3
"""Random case scripts for differential testing of mpolsim against the Linux oracle.

Usage: random_case.py SEED NODES "NODES_SPEC" [pipes] [sysfs] > case.txt
(BIG=0 in the environment keeps node lists below 64, so that the default 64-node build
replays every line.) `sysfs` adds the weighted-interleave files of newer kernels
(`wi_state`, `wi_auto`, more `weights`, `read_weights N`), weighted-interleave policies and
empty `cpuset.mems` writes; without it a seed gives the same script as before. Record the
script with the conformance oracle on Linux 6.12 or 7.3 and compare with
`mpolsim --linux 6.12|7.3 case.txt`; see README.md here."""
import os, random, sys
BIG = ["63","64","0,64","1023","0-1023"] if os.environ.get("BIG", "1") == "1" else ["63","0,63","0-63","7-63"]

MODES = ["DEFAULT","PREFERRED","BIND","INTERLEAVE","LOCAL","PREFERRED_MANY","WEIGHTED_INTERLEAVE"]
FLAGS = ["0","STATIC","RELATIVE","BALANCING","STATIC|RELATIVE","STATIC|BALANCING","RELATIVE|BALANCING","0x1000"]

AUTO = ["0", "1", "true", "false", "on", "off", "yes", "no", "Y", "n", "garbage", "2", "-1",
        "o", "of", "tru", "enable", "disable", "0x1", "1x"]
WEIGHT = ["1", "2", "3", "5", "8", "0", "-", "255", "256", "abc", "0x4", "010", "+2"]

def sysfs_op(r, nnodes, nodes):
    x = r.random()
    if x < 0.25:
        return r.choice(["wi_state", "wi_state", f"wi_state {r.choice([0, 1, nnodes, nnodes + 2])}"])
    if x < 0.45:
        return f"wi_auto {r.choice(AUTO)}"
    if x < 0.65:
        return "weights " + " ".join(r.choice(WEIGHT) for _ in range(r.randint(1, nnodes + 1)))
    if x < 0.72:
        return f"read_weights {r.choice(['', '', str(nnodes), str(nnodes + 1)])}".rstrip()
    if x < 0.82:
        return f"cpuset_mems {r.choice(['none', 'none', '0-' + str(nnodes - 1), str(nnodes - 1)])}"
    return f"set_mempolicy WEIGHTED_INTERLEAVE {r.choice(['0', '0', 'STATIC', 'RELATIVE'])} {nodes()} 64"

def gen(seed, nnodes, nops=80, pipes=False, sysfs=False):
    r = random.Random(seed)
    regions = {}
    out = []
    names = ["A","B","C","D"]
    def nodes():
        x = r.random()
        if x < 0.05: return "-"
        if x < 0.1: return "none"
        if x < 0.13: return r.choice(BIG)
        k = r.randint(1, min(nnodes+1, 4))
        s = sorted(set(r.randrange(0, nnodes+1) for _ in range(k)))
        return ",".join(map(str, s))
    def maxnode():
        return r.choice(["64"]*6 + ["0","1","2","3","4","5","9","65","128","1025","1026","-1","2000"])
    def mode():
        x = r.random()
        if x < 0.05: return r.choice(["7","8","-1"])
        return r.choice(MODES)
    def flags():
        return r.choice(["0"]*5 + FLAGS)
    def region():
        if regions and r.random() < 0.93:
            return r.choice(list(regions))
        return r.choice(names + ["-"])
    def page(n):
        return r.randrange(0, max(1, n+2))
    def mbfl():
        return r.choice(["0"]*5 + ["STRICT","MOVE","MOVE_ALL","STRICT|MOVE","STRICT|MOVE_ALL","8"])
    if pipes:
        out.append("weights " + " ".join(r.choice(["1","2","3","5"]) for _ in range(nnodes)))
    for _ in range(nops):
        if sysfs and r.random() < 0.15:
            out.append(sysfs_op(r, nnodes, nodes))
            continue
        x = r.random()
        if x < 0.12 or not regions and x < 0.3:
            nm = r.choice(names)
            if nm in regions and r.random() < 0.5:
                out.append(f"munmap {nm}")
                del regions[nm]
            elif nm not in regions:
                n = r.choice([4,8,16,24,32])
                kind = r.choice(["", "", "", " shared"])
                out.append(f"mmap {nm} {n}{kind}")
                regions[nm] = n
            else:
                n = regions[nm]
                out.append(f"munmap {nm} {r.randrange(0,n)} {r.randint(1,3)}")
        elif x < 0.25:
            out.append(f"set_mempolicy {mode()} {flags()} {nodes()} {maxnode()}")
        elif x < 0.40:
            g = r.choice(["0"]*3 + ["NODE","ADDR","ADDR","NODE|ADDR","MEMS_ALLOWED","MEMS_ALLOWED|NODE","MEMS_ALLOWED|ADDR","8"])
            mx = r.choice(["64"]*4 + ["-","1","3","4","5","1000","-1"])
            if "ADDR" in g and regions:
                R = region()
                n = regions.get(R, 4)
                out.append(f"get_mempolicy {g} {mx} {R}+{page(n)}" if R != "-" else f"get_mempolicy {g} {mx} -")
            else:
                out.append(f"get_mempolicy {g} {mx}")
        elif x < 0.58:
            R = region(); n = regions.get(R, 8)
            st = page(n); np_ = r.randint(0, max(1, n-st+1))
            sts = f"{st}" if r.random() < 0.9 else f"{st}+{r.choice([1,2048,4095])}"
            nps = f"{np_}" if r.random() < 0.9 else f"{np_}+{r.choice([1,4095])}"
            out.append(f"mbind {R} {sts} {nps} {mode()} {flags()} {nodes()} {maxnode()} {mbfl()}")
        elif x < 0.72:
            if not regions: continue
            R = r.choice(list(regions)); n = regions[R]
            st = r.randrange(0, n); np_ = r.randint(1, n - st)
            out.append(f"touch {R} {st} {np_}" if r.random() < 0.75 else f"read {R} {st} {np_}")
        elif x < 0.82:
            if not regions: continue
            R = r.choice(list(regions)); n = regions[R]
            out.append(f"where {R} 0 {n}")
        elif x < 0.85:
            if not regions: continue
            R = r.choice(list(regions)); n = regions[R]
            st = r.randrange(0, n)
            out.append(f"move {R} {st} {r.randint(1, n-st)} {r.randrange(0, nnodes+1)} {r.choice(['MOVE','MOVE_ALL','0'])}")
        elif x < 0.88:
            R = region(); n = regions.get(R, 8)
            st = page(n)
            out.append(f"home_node {R} {st} {r.randint(0, n)} {r.choice([0,1,nnodes-1,nnodes,r.randrange(0,nnodes), -1, 1024])} {r.choice([0,0,0,1])}")
        elif pipes and x < 0.97:
            out.append(f"pipe_pages {r.randint(1,8)}")
        elif x < 0.90:
            w = " ".join(r.choice(["1","2","3","5","0","-","256","abc","0x4"]) for _ in range(nnodes))
            out.append(f"weights {w}")
        elif x < 0.91:
            out.append("read_weights")
        elif x < 0.93:
            out.append(f"cpu {r.choice([0,0,1,1,2,3])}")
            out.append("getcpu")
        elif x < 0.945:
            out.append(f"cpuset_mems {r.choice(['0','1','0-1','0-'+str(nnodes-1), '1-'+str(nnodes-1), str(nnodes-1), '0,'+str(nnodes-1)])}")
        elif x < 0.96:
            out.append(f"migrate_pages {nodes()} {nodes()} {maxnode()}")
        elif x < 0.97:
            out.append("numa_maps")
        elif x < 0.98 and pipes:
            out.append(f"pipe_pages {r.randint(1,8)}")
        elif x < 0.985:
            out.append("reset"); regions.clear()
        elif pipes:
            out.append("get_mempolicy NODE")
        else:
            out.append("numa_maps")
    out.append("numa_maps")
    return "\n".join(out) + "\n"

if __name__ == "__main__":
    seed = int(sys.argv[1]); nn = int(sys.argv[2]); topo = sys.argv[3]
    pipes = "pipes" in sys.argv[4:]
    sysfs = "sysfs" in sys.argv[4:]
    print(f"# topology: {topo}")
    sys.stdout.write(gen(seed, nn, pipes=pipes, sysfs=sysfs))
