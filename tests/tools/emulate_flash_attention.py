#!/usr/bin/env python3
"""Lane-level emulation of cuda/flash_attention_{forward,backward}.cu, for checking their indexing
without a GPU: the kernels' per-lane code (load_a, load_b, accumulators_as_a, masks, online
softmax, write-back) transliterated warp by warp, with mma.m16n8k16 implemented from the PTX ISA's
fragment layouts (A, B and C rebuilt from the lanes' registers, multiplied, scattered back).
Float64 and no bf16 rounding, so it must match exact attention to ~1e-14; a wrong fragment
index gives O(1) errors. Not run by CI (pure Python, seconds): run it after changing a kernel.

usage: tests/tools/emulate_flash_attention.py T D     (e.g. 100 64, 130 128)
"""
import math, random
PAD=8
def mma(c, a, b):
    # c[lane][4], a[lane][4 regs of 2], b[lane][2 regs of 2]
    A=[[0.0]*16 for _ in range(16)]; B=[[0.0]*8 for _ in range(16)]
    for lane in range(32):
        g,t=lane//4,lane%4
        for i in range(8):
            row = g if (i<2 or 4<=i<6) else g+8
            col = t*2+(i&1) + (8 if i>=4 else 0)
            A[row][col]=a[lane][i//2][i%2]
        for i in range(4):
            row = t*2+(i&1) + (8 if i>=2 else 0)
            B[row][g]=b[lane][i//2][i%2]
    Cm=[[0.0]*8 for _ in range(16)]
    for lane in range(32):
        g,t=lane//4,lane%4
        for i in range(4):
            Cm[g if i<2 else g+8][t*2+(i&1)] = c[lane][i]
    for r in range(16):
        for n in range(8):
            Cm[r][n]+=sum(A[r][k]*B[k][n] for k in range(16))
    for lane in range(32):
        g,t=lane//4,lane%4
        for i in range(4):
            c[lane][i]=Cm[g if i<2 else g+8][t*2+(i&1)]
def pair(tile,stride,r,c): return (tile[r*stride+c], tile[r*stride+c+1])
def load_a(tile,stride,r0,k0):
    out=[]
    for lane in range(32):
        g,t=lane//4,lane%4
        out.append([pair(tile,stride,r0+g,k0+2*t),pair(tile,stride,r0+g+8,k0+2*t),pair(tile,stride,r0+g,k0+2*t+8),pair(tile,stride,r0+g+8,k0+2*t+8)])
    return out
def load_b(tile,stride,n0,k0):
    out=[]
    for lane in range(32):
        g,t=lane//4,lane%4
        out.append([pair(tile,stride,n0+g,k0+2*t),pair(tile,stride,n0+g,k0+2*t+8)])
    return out
def acc_as_a(acc,kk):  # acc[lane][n][4]
    return [[(acc[l][2*kk][0],acc[l][2*kk][1]),(acc[l][2*kk][2],acc[l][2*kk][3]),(acc[l][2*kk+1][0],acc[l][2*kk+1][1]),(acc[l][2*kk+1][2],acc[l][2*kk+1][3])] for l in range(32)]
def load_tile(ROWS,D,rows,cols,src,row0,T):
    # src: list of rows (T x D)
    for r in range(ROWS):
        for c in range(D):
            x = src[row0+r][c] if row0+r<T else 0.0
            if rows is not None: rows[r*(D+PAD)+c]=x
            if cols is not None: cols[c*(ROWS+PAD)+r]=x
def forward(q,k,v,T,D):
    scale_log2=1/math.sqrt(D)/math.log(2)
    nt=(T+63)//64; out=[[0.0]*D for _ in range(T)]; lse=[0.0]*T
    for tile in range(nt):
        q0=tile*64; S=D+PAD; St=64+PAD
        sq=[0.0]*(64*S); sk=[0.0]*(64*S); svt=[0.0]*(D*St)
        load_tile(64,D,sq,None,q,q0,T)
        for warp in range(4):
            o=[[[0.0]*4 for _ in range(D//8)] for _ in range(32)]
            m=[[-math.inf]*2 for _ in range(32)]; l=[[0.0]*2 for _ in range(32)]
            for j in range(tile+1):
                k0=j*64
                load_tile(64,D,sk,None,k,k0,T); load_tile(64,D,None,svt,v,k0,T)
                s=[[[0.0]*4 for _ in range(8)] for _ in range(32)]
                for kk in range(D//16):
                    a=load_a(sq,S,warp*16,kk*16)
                    for n in range(8):
                        b=load_b(sk,S,n*8,kk*16); mma([s[l_][n] for l_ in range(32)],a,b)
                # quad max
                mx=[[0,0] for _ in range(32)]
                for lane in range(32):
                    g,t=lane//4,lane%4; row=[q0+warp*16+g,q0+warp*16+g+8]
                    mx[lane]=list(m[lane])
                    for n in range(8):
                        for e in range(4):
                            key=k0+n*8+2*t+(e&1)
                            x = s[lane][n][e]*scale_log2 if (key<=row[e//2] and key<T) else -math.inf
                            s[lane][n][e]=x; mx[lane][e//2]=max(mx[lane][e//2],x)
                qm=[[max(mx[(lane//4)*4+i][r] for i in range(4)) for r in range(2)] for lane in range(32)]
                for lane in range(32):
                    shift=[0,0];alpha=[0,0]
                    for r in range(2):
                        shift[r]=0.0 if qm[lane][r]==-math.inf else qm[lane][r]
                        alpha[r]=2**(m[lane][r]-shift[r]) if m[lane][r]!=-math.inf else 0.0
                        m[lane][r]=qm[lane][r]; l[lane][r]*=alpha[r]
                    for n in range(8):
                        for e in range(4):
                            p=2**(s[lane][n][e]-shift[e//2]) if s[lane][n][e]!=-math.inf else 0.0
                            s[lane][n][e]=p; l[lane][e//2]+=p
                    for n in range(D//8):
                        o[lane][n][0]*=alpha[0];o[lane][n][1]*=alpha[0];o[lane][n][2]*=alpha[1];o[lane][n][3]*=alpha[1]
                for kk in range(4):
                    a=acc_as_a(s,kk)
                    for n in range(D//8):
                        b=load_b(svt,St,n*8,kk*16); mma([o[l_][n] for l_ in range(32)],a,b)
            for lane in range(32):
                g,t=lane//4,lane%4; row=[q0+warp*16+g,q0+warp*16+g+8]
                for r in range(2):
                    ssum=sum(l[(lane//4)*4+i][r] for i in range(4))
                    if row[r]>=T: continue
                    for n in range(D//8):
                        out[row[r]][n*8+2*t]=o[lane][n][2*r]/ssum; out[row[r]][n*8+2*t+1]=o[lane][n][2*r+1]/ssum
                    if t==0: lse[row[r]]=(m[lane][r]+math.log2(ssum))*math.log(2)
    return out,lse
def backward(q,k,v,dout,out,lse,T,D):
    scale=1/math.sqrt(D); scale_log2=scale/math.log(2); L2E=1/math.log(2)
    delta=[sum(dout[t][i]*out[t][i] for i in range(D)) for t in range(T)]
    dq=[[0.0]*D for _ in range(T)]; dk=[[0.0]*D for _ in range(T)]; dv=[[0.0]*D for _ in range(T)]
    S=D+PAD; nk=(T+63)//64
    # dk/dv
    for tile in range(nk):
        k0=tile*64; St=32+PAD
        sk=[0.0]*(64*S); sv=[0.0]*(64*S); sq=[0.0]*(32*S); sdo=[0.0]*(32*S); sqt=[0.0]*(D*St); sdot=[0.0]*(D*St)
        load_tile(64,D,sk,None,k,k0,T); load_tile(64,D,sv,None,v,k0,T)
        for warp in range(4):
            dka=[[[0.0]*4 for _ in range(D//8)] for _ in range(32)]; dva=[[[0.0]*4 for _ in range(D//8)] for _ in range(32)]
            q0=k0
            while q0<T:
                load_tile(32,D,sq,sqt,q,q0,T); load_tile(32,D,sdo,sdot,dout,q0,T)
                slse=[lse[q0+i]*L2E if q0+i<T else 0.0 for i in range(32)]
                sdel=[delta[q0+i] if q0+i<T else 0.0 for i in range(32)]
                st=[[[0.0]*4 for _ in range(4)] for _ in range(32)]; dpt=[[[0.0]*4 for _ in range(4)] for _ in range(32)]
                for kk in range(D//16):
                    ak=load_a(sk,S,warp*16,kk*16); av=load_a(sv,S,warp*16,kk*16)
                    for n in range(4):
                        mma([st[l_][n] for l_ in range(32)],ak,load_b(sq,S,n*8,kk*16))
                        mma([dpt[l_][n] for l_ in range(32)],av,load_b(sdo,S,n*8,kk*16))
                for lane in range(32):
                    g,t=lane//4,lane%4; key=[k0+warp*16+g,k0+warp*16+g+8]
                    for n in range(4):
                        for e in range(4):
                            qi=n*8+2*t+(e&1); query=q0+qi
                            p=2**(st[lane][n][e]*scale_log2-slse[qi]) if (key[e//2]<=query and query<T) else 0.0
                            st[lane][n][e]=p; dpt[lane][n][e]=p*(dpt[lane][n][e]-sdel[qi])
                for kk in range(2):
                    ap=acc_as_a(st,kk); ads=acc_as_a(dpt,kk)
                    for n in range(D//8):
                        mma([dva[l_][n] for l_ in range(32)],ap,load_b(sdot,St,n*8,kk*16))
                        mma([dka[l_][n] for l_ in range(32)],ads,load_b(sqt,St,n*8,kk*16))
                q0+=32
            for lane in range(32):
                g,t=lane//4,lane%4; key=[k0+warp*16+g,k0+warp*16+g+8]
                for r in range(2):
                    if key[r]>=T: continue
                    for n in range(D//8):
                        for x in range(2):
                            dk[key[r]][n*8+2*t+x]+=scale*dka[lane][n][2*r+x]; dv[key[r]][n*8+2*t+x]+=dva[lane][n][2*r+x]
    # dq
    for tile in range(nk):
        q0=tile*64; St=64+PAD
        sq=[0.0]*(64*S); sdo=[0.0]*(64*S); sk=[0.0]*(64*S); sv=[0.0]*(64*S); skt=[0.0]*(D*St)
        load_tile(64,D,sq,None,q,q0,T); load_tile(64,D,sdo,None,dout,q0,T)
        for warp in range(4):
            dqa=[[[0.0]*4 for _ in range(D//8)] for _ in range(32)]
            for j in range(tile+1):
                k0=j*64
                load_tile(64,D,sk,skt,k,k0,T); load_tile(64,D,sv,None,v,k0,T)
                s=[[[0.0]*4 for _ in range(8)] for _ in range(32)]; dp=[[[0.0]*4 for _ in range(8)] for _ in range(32)]
                for kk in range(D//16):
                    aq=load_a(sq,S,warp*16,kk*16); ao=load_a(sdo,S,warp*16,kk*16)
                    for n in range(8):
                        mma([s[l_][n] for l_ in range(32)],aq,load_b(sk,S,n*8,kk*16))
                        mma([dp[l_][n] for l_ in range(32)],ao,load_b(sv,S,n*8,kk*16))
                for lane in range(32):
                    g,t=lane//4,lane%4; row=[q0+warp*16+g,q0+warp*16+g+8]
                    l2=[lse[r_]*L2E if r_<T else 0.0 for r_ in row]; dl=[delta[r_] if r_<T else 0.0 for r_ in row]
                    for n in range(8):
                        for e in range(4):
                            kj=k0+n*8+2*t+(e&1)
                            p=2**(s[lane][n][e]*scale_log2-l2[e//2]) if (kj<=row[e//2] and kj<T) else 0.0
                            s[lane][n][e]=p*(dp[lane][n][e]-dl[e//2])
                for kk in range(4):
                    a=acc_as_a(s,kk)
                    for n in range(D//8):
                        mma([dqa[l_][n] for l_ in range(32)],a,load_b(skt,St,n*8,kk*16))
            for lane in range(32):
                g,t=lane//4,lane%4; row=[q0+warp*16+g,q0+warp*16+g+8]
                for r in range(2):
                    if row[r]>=T: continue
                    for n in range(D//8):
                        for x in range(2): dq[row[r]][n*8+2*t+x]+=scale*dqa[lane][n][2*r+x]
    return dq,dk,dv
def reference(q,k,v,dout,T,D):
    sc=1/math.sqrt(D)
    P=[[0.0]*T for _ in range(T)]; out=[[0.0]*D for _ in range(T)]; lse=[0.0]*T
    for t in range(T):
        s=[sum(q[t][i]*k[j][i] for i in range(D))*sc for j in range(t+1)]
        m=max(s); z=sum(math.exp(x-m) for x in s); lse[t]=m+math.log(z)
        for j in range(t+1): P[t][j]=math.exp(s[j]-m)/z
        for i in range(D): out[t][i]=sum(P[t][j]*v[j][i] for j in range(t+1))
    dq=[[0.0]*D for _ in range(T)]; dk=[[0.0]*D for _ in range(T)]; dv=[[0.0]*D for _ in range(T)]
    for t in range(T):
        dp=[sum(dout[t][i]*v[j][i] for i in range(D)) for j in range(t+1)]
        w=sum(P[t][j]*dp[j] for j in range(t+1))
        for j in range(t+1):
            ds=P[t][j]*(dp[j]-w)*sc
            for i in range(D):
                dq[t][i]+=ds*k[j][i]; dk[j][i]+=ds*q[t][i]; dv[j][i]+=P[t][j]*dout[t][i]
    return out,lse,dq,dk,dv
import sys
if len(sys.argv) != 3: sys.exit(__doc__)
T=int(sys.argv[1]); D=int(sys.argv[2]); random.seed(1)
mk=lambda: [[random.gauss(0,1) for _ in range(D)] for _ in range(T)]
q,k,v,do=mk(),mk(),mk(),mk()
o,l=forward(q,k,v,T,D)
ro,rl,rdq,rdk,rdv=reference(q,k,v,do,T,D)
err=lambda a,b: max(abs(x-y) for ra,rb in zip(a,b) for x,y in zip(ra,rb))
print("out",err(o,ro),"lse",max(abs(x-y) for x,y in zip(l,rl)))
dq,dk,dv=backward(q,k,v,do,o,l,T,D)
print("dq",err(dq,rdq),"dk",err(dk,rdk),"dv",err(dv,rdv))
worst=max(err(o,ro),err(dq,rdq),err(dk,rdk),err(dv,rdv))
sys.exit(0 if worst < 1e-9 else 1)
