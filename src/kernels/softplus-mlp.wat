;; The per-coordinate MLP policy's mean step for every coordinate of a net at once, in float32 wasm
;; SIMD (src/kernels/softplus-mlp.ts lays out the memory and calls it; docs/design.md §4 says why).
;; For each row r (one coordinate's state, `width` float64 entries, the first `inputs` read):
;;   z_i = clip(s_ri / scale_i, ±bound_i)            (float64, as the float64 path, then float32)
;;   a   = W1ᵀ z + b1                                 (hidden units, padded to whole 4-lane vectors)
;;   μ_r = Σ_j w2_j (softplus(a_j) − anchor_j)        (anchor_j = softplus(b1_j); padded w2_j = 0)
;; The weights are stored vector-major: W1 as [vectors][inputs][4 lanes], so the inner loop reads them
;; in order and keeps one hidden vector in a register while it sums over the inputs.
(module
  (memory (export "memory") 1)

  ;; The softplus's constants, splat across a vector, at the start of memory: TurboFan rebuilds a
  ;; constant splat at each use inside a loop (three instructions), where a load folds into the
  ;; arithmetic. Memory the caller lays out starts at $heapBase.
  (global (export "heapBase") i32 (i32.const 272))
  (func $constants
    (v128.store offset=0 (i32.const 0) (f32x4.splat (f32.const 87)))  ;; cap
    (v128.store offset=16 (i32.const 0) (f32x4.splat (f32.const 1.4426950408889634)))  ;; log2e
    (v128.store offset=32 (i32.const 0) (f32x4.splat (f32.const 8388608)))  ;; magic
    (v128.store offset=48 (i32.const 0) (f32x4.splat (f32.const 0.6931471805599453)))  ;; ln2
    (v128.store offset=64 (i32.const 0) (f32x4.splat (f32.const 1)))  ;; one
    (v128.store offset=80 (i32.const 0) (f32x4.splat (f32.const 0.5)))  ;; e2
    (v128.store offset=96 (i32.const 0) (f32x4.splat (f32.const 0.16666666666666666)))  ;; e3
    (v128.store offset=112 (i32.const 0) (f32x4.splat (f32.const 0.041666666666666664)))  ;; e4
    (v128.store offset=128 (i32.const 0) (f32x4.splat (f32.const 0.008333333333333333)))  ;; e5
    (v128.store offset=144 (i32.const 0) (f32x4.splat (f32.const 0.001388888888888889)))  ;; e6
    (v128.store offset=160 (i32.const 0) (i32x4.splat (i32.const 0x3f800000)))  ;; oneBits: the bits of 1.0
    (v128.store offset=176 (i32.const 0) (f32x4.splat (f32.const 2)))  ;; two
    (v128.store offset=192 (i32.const 0) (f32x4.splat (f32.const 0.6666666666666666)))  ;; l3
    (v128.store offset=208 (i32.const 0) (f32x4.splat (f32.const 0.4)))  ;; l5
    (v128.store offset=224 (i32.const 0) (f32x4.splat (f32.const 0.2857142857142857)))  ;; l7
    (v128.store offset=240 (i32.const 0) (f32x4.splat (f32.const 0.2222222222222222)))  ;; l9
    (v128.store offset=256 (i32.const 0) (f32x4.splat (f32.const 0.18181818181818182))))  ;; l11
  (start $constants)

  ;; softplus(a) = max(a, 0) + log1p(exp(−|a|)) of `count` vectors from `at`, in place, to about 1e-7
  ;; absolute, in one loop (a call per vector cost a third of the kernel: V8 spills live vectors around it).
  (func $softplusInPlace (param $at i32) (param $count i32)
    (local $end i32) (local $a v128) (local $t v128) (local $m v128) (local $k v128) (local $s v128) (local $s2 v128) (local $e v128) (local $q v128) (local $q2 v128) (local $q4 v128) (local $p v128)
    (local.set $end (i32.add (local.get $at) (i32.shl (local.get $count) (i32.const 4))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
      (local.set $a (v128.load (local.get $at)))
      ;; exp(−y) = 2^−t with t = y·log2(e); y is capped at 87, where exp(−y) nears float32's smallest normal.
      ;; (pmin and pmax are the plain SSE min and max; with the input first, a NaN passes through both.)
      (local.set $t (f32x4.mul (f32x4.pmin (f32x4.abs (local.get $a)) (v128.load offset=0 (i32.const 0))) (v128.load offset=16 (i32.const 0))))
      ;; t = k + r with k = nearest(t) and |r| ≤ ½, by adding 2^23 (the float32 spacing there is 1):
      ;; the sum's low mantissa bits are k itself. 2^−r = e^s with s = −r·ln 2, |s| ≤ 0.347.
      (local.set $m (f32x4.add (local.get $t) (v128.load offset=32 (i32.const 0))))
      (local.set $k (f32x4.sub (local.get $m) (v128.load offset=32 (i32.const 0))))
      (local.set $s (f32x4.mul (f32x4.sub (local.get $k) (local.get $t)) (v128.load offset=48 (i32.const 0))))
      ;; e^s by its Taylor polynomial of degree 6 (remainder below 1.3e-7), in Estrin's form: the
      ;; loop is bound by its dependency chain, which Horner's rule makes twice as long.
      (local.set $s2 (f32x4.mul (local.get $s) (local.get $s)))
      (local.set $e (f32x4.add
        (f32x4.add (f32x4.add (v128.load offset=64 (i32.const 0)) (local.get $s))
          (f32x4.mul (local.get $s2) (f32x4.add (v128.load offset=80 (i32.const 0)) (f32x4.mul (local.get $s) (v128.load offset=96 (i32.const 0))))))
        (f32x4.mul (f32x4.mul (local.get $s2) (local.get $s2))
          (f32x4.add (f32x4.add (v128.load offset=112 (i32.const 0)) (f32x4.mul (local.get $s) (v128.load offset=128 (i32.const 0)))) (f32x4.mul (local.get $s2) (v128.load offset=144 (i32.const 0)))))))
      ;; times 2^−k, whose bits are those of 1.0 less k << 23 (k ≤ 126); m << 23 is k << 23, as the
      ;; shift drops m's exponent bits.
      (local.set $e (f32x4.mul (local.get $e) (i32x4.sub (v128.load offset=160 (i32.const 0)) (i32x4.shl (local.get $m) (i32.const 23)))))
      ;; log1p(e) = 2·atanh(q) with q = e / (2 + e) ≤ 1/3.
      (local.set $q (f32x4.div (local.get $e) (f32x4.add (local.get $e) (v128.load offset=176 (i32.const 0)))))
      (local.set $q2 (f32x4.mul (local.get $q) (local.get $q)))
      ;; 2 + (2/3)x + (2/5)x² + … + (2/11)x⁵ at x = q², in Estrin's form too.
      (local.set $q4 (f32x4.mul (local.get $q2) (local.get $q2)))
      (local.set $p (f32x4.add
        (f32x4.add (f32x4.add (v128.load offset=176 (i32.const 0)) (f32x4.mul (local.get $q2) (v128.load offset=192 (i32.const 0))))
          (f32x4.mul (local.get $q4) (f32x4.add (v128.load offset=208 (i32.const 0)) (f32x4.mul (local.get $q2) (v128.load offset=224 (i32.const 0))))))
        (f32x4.mul (f32x4.mul (local.get $q4) (local.get $q4))
          (f32x4.add (v128.load offset=240 (i32.const 0)) (f32x4.mul (local.get $q2) (v128.load offset=256 (i32.const 0)))))))
      (v128.store (local.get $at) (f32x4.add
        (f32x4.pmax (local.get $a) (v128.const i32x4 0 0 0 0))
        (f32x4.mul (local.get $p) (local.get $q))))
      (local.set $at (i32.add (local.get $at) (i32.const 16)))
      (br $next))))

  ;; The softplus alone over `count` float32 values at `at`, in place (count a multiple of 4):
  ;; what the kernel's test compares with a float64 softplus.
  (func (export "softplus") (param $at i32) (param $count i32)
    (call $softplusInPlace (local.get $at) (i32.shr_u (local.get $count) (i32.const 2))))

  ;; Writes row `row`'s scaled, clipped inputs, each splat across a vector, every `stride` bytes from `zbuf`.
  (func $splatInputs (param $row i32) (param $inputs i32) (param $scale i32) (param $bound i32) (param $zbuf i32) (param $stride i32)
    (local $i i32) (local $z f64) (local $lim f64)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $inputs)))
      (local.set $z (f64.div
        (f64.load (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 3))))
        (f64.load (i32.add (local.get $scale) (i32.shl (local.get $i) (i32.const 3))))))
      (local.set $lim (f64.load (i32.add (local.get $bound) (i32.shl (local.get $i) (i32.const 3)))))
      (local.set $z (f64.max (f64.min (local.get $z) (local.get $lim)) (f64.neg (local.get $lim))))
      (v128.store (i32.add (local.get $zbuf) (i32.mul (local.get $i) (local.get $stride)))
        (f32x4.splat (f32.demote_f64 (local.get $z))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next))))

  ;; The sum of a vector's four lanes, as float64.
  (func $lanesSum (param $x v128) (result f64)
    (f64.promote_f32 (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $x)) (f32x4.extract_lane 1 (local.get $x)))
      (f32.add (f32x4.extract_lane 2 (local.get $x)) (f32x4.extract_lane 3 (local.get $x))))))

  ;; μ for `rows` rows, a block of `block` rows (even) at a time: their pre-activations two rows at a
  ;; time (the two share each weight load and are two independent sums), then one softplus pass over
  ;; the block, then each row's output. An odd last row is paired with itself.
  ;; Every argument after the counts is a byte offset into memory:
  ;;   w1: [vectors][inputs] v128   b1, anchor, w2: [vectors] v128   scale, bound: [inputs] f64
  ;;   states: [rows][width] f64    out: [rows] f64
  ;;   zbuf: [inputs][2] v128 and pre: [block][vectors] v128 of scratch
  (func (export "forward")
    (param $rows i32) (param $width i32) (param $inputs i32) (param $vectors i32)
    (param $w1 i32) (param $b1 i32) (param $anchor i32) (param $w2 i32) (param $scale i32) (param $bound i32)
    (param $states i32) (param $out i32) (param $zbuf i32) (param $pre i32) (param $block i32)
    (local $start i32) (local $end i32) (local $r i32) (local $second i32) (local $rowBytes i32) (local $preBytes i32)
    (local $v i32) (local $vb i32) (local $w i32) (local $zp i32) (local $zend i32) (local $p0 i32) (local $p1 i32)
    (local $h0 v128) (local $h1 v128) (local $w128 v128) (local $acc v128)
    (local.set $zend (i32.add (local.get $zbuf) (i32.shl (local.get $inputs) (i32.const 5))))
    (local.set $rowBytes (i32.shl (local.get $width) (i32.const 3)))
    (local.set $preBytes (i32.shl (local.get $vectors) (i32.const 4)))
    (block $blocksDone (loop $blockNext
      (br_if $blocksDone (i32.ge_u (local.get $start) (local.get $rows)))
      (local.set $end (i32.add (local.get $start) (local.get $block)))
      (if (i32.gt_u (local.get $end) (local.get $rows)) (then (local.set $end (local.get $rows))))
      ;; The pre-activations a = W1ᵀz + b1 of the block's rows, two rows at a time.
      (local.set $r (local.get $start))
      (block $pairsDone (loop $pairNext
        (br_if $pairsDone (i32.ge_u (local.get $r) (local.get $end)))
        (local.set $second (select (i32.add (local.get $r) (i32.const 1)) (local.get $r)
          (i32.lt_u (i32.add (local.get $r) (i32.const 1)) (local.get $end))))
        (call $splatInputs (i32.add (local.get $states) (i32.mul (local.get $r) (local.get $rowBytes)))
          (local.get $inputs) (local.get $scale) (local.get $bound) (local.get $zbuf) (i32.const 32))
        (call $splatInputs (i32.add (local.get $states) (i32.mul (local.get $second) (local.get $rowBytes)))
          (local.get $inputs) (local.get $scale) (local.get $bound) (i32.add (local.get $zbuf) (i32.const 16)) (i32.const 32))
        (local.set $p0 (i32.add (local.get $pre) (i32.mul (i32.sub (local.get $r) (local.get $start)) (local.get $preBytes))))
        (local.set $p1 (i32.add (local.get $pre) (i32.mul (i32.sub (local.get $second) (local.get $start)) (local.get $preBytes))))
        (local.set $w (local.get $w1))
        (local.set $vb (i32.const 0))
        (block $vectorsDone (loop $vectorNext
          (br_if $vectorsDone (i32.ge_u (local.get $vb) (local.get $preBytes)))
          (local.set $h0 (v128.load (i32.add (local.get $b1) (local.get $vb))))
          (local.set $h1 (local.get $h0))
          (local.set $zp (local.get $zbuf))
          (block $sumDone (loop $sumNext
            (br_if $sumDone (i32.ge_u (local.get $zp) (local.get $zend)))
            (local.set $w128 (v128.load (local.get $w)))
            (local.set $h0 (f32x4.add (local.get $h0) (f32x4.mul (v128.load (local.get $zp)) (local.get $w128))))
            (local.set $h1 (f32x4.add (local.get $h1) (f32x4.mul (v128.load offset=16 (local.get $zp)) (local.get $w128))))
            (local.set $zp (i32.add (local.get $zp) (i32.const 32)))
            (local.set $w (i32.add (local.get $w) (i32.const 16)))
            (br $sumNext)))
          (v128.store (i32.add (local.get $p0) (local.get $vb)) (local.get $h0))
          (v128.store (i32.add (local.get $p1) (local.get $vb)) (local.get $h1))
          (local.set $vb (i32.add (local.get $vb) (i32.const 16)))
          (br $vectorNext)))
        (local.set $r (i32.add (local.get $r) (i32.const 2)))
        (br $pairNext)))
      (call $softplusInPlace (local.get $pre) (i32.mul (i32.sub (local.get $end) (local.get $start)) (local.get $vectors)))
      ;; μ_r = Σ_j w2_j (softplus(a_j) − anchor_j), one row at a time.
      (local.set $p0 (local.get $pre))
      (local.set $r (local.get $start))
      (block $outDone (loop $outNext
        (br_if $outDone (i32.ge_u (local.get $r) (local.get $end)))
        (local.set $acc (f32x4.splat (f32.const 0)))
        (local.set $vb (i32.const 0))
        (block $termsDone (loop $termNext
          (br_if $termsDone (i32.ge_u (local.get $vb) (local.get $preBytes)))
          (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul
            (f32x4.sub (v128.load (i32.add (local.get $p0) (local.get $vb))) (v128.load (i32.add (local.get $anchor) (local.get $vb))))
            (v128.load (i32.add (local.get $w2) (local.get $vb))))))
          (local.set $vb (i32.add (local.get $vb) (i32.const 16)))
          (br $termNext)))
        (f64.store (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 3))) (call $lanesSum (local.get $acc)))
        (local.set $p0 (i32.add (local.get $p0) (local.get $preBytes)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $outNext)))
      (local.set $start (local.get $end))
      (br $blockNext))))
)
