;; The per-coordinate MLP policy's mean step for every coordinate of a net at once, in float32 wasm
;; SIMD (src/kernels/softplus-mlp.ts lays out the memory and calls it; docs/design.md §4 says why).
;; For each row r (one coordinate's state, `width` float64 entries, the first `inputs` read):
;;   z_i = clip(s_ri · (1 / scale_i), ±bound_i)      (float64, then float32: the float64 path to its rounding)
;;   a   = W1ᵀ z + b1                                 (hidden units, padded to whole 4-lane vectors)
;;   μ_r = Σ_j w2_j (softplus(a_j) − anchor_j)        (anchor_j = softplus(b1_j); padded w2_j = 0)
;; The weights are stored vector-major: W1 as [vectors][inputs][4 lanes], so the inner loop reads them
;; in order and keeps its hidden vectors in registers while it sums over the inputs.
(module
  (memory (export "memory") 1)

  ;; The softplus's constants as immutable v128 globals: TurboFan rebuilds a constant splat at each
  ;; use inside a loop (three instructions); a global it loads (one), and faster than the same
  ;; constants loaded from memory (the pass 2.43 -> 2.31 ms over 22k×52 values).
  (global $cap v128 (v128.const f32x4 87 87 87 87))  ;; y is capped here
  (global $log2e v128 (v128.const f32x4 1.4426950408889634 1.4426950408889634 1.4426950408889634 1.4426950408889634))
  (global $magic v128 (v128.const f32x4 8388608 8388608 8388608 8388608))  ;; 2^23
  (global $p0 v128 (v128.const f32x4 1.00000007 1.00000007 1.00000007 1.00000007))
  (global $p1 v128 (v128.const f32x4 0.693146968 0.693146968 0.693146968 0.693146968))
  (global $p2 v128 (v128.const f32x4 0.240221196 0.240221196 0.240221196 0.240221196))
  (global $p3 v128 (v128.const f32x4 0.0555071242 0.0555071242 0.0555071242 0.0555071242))
  (global $p4 v128 (v128.const f32x4 0.00967554487 0.00967554487 0.00967554487 0.00967554487))
  (global $p5 v128 (v128.const f32x4 0.00132767513 0.00132767513 0.00132767513 0.00132767513))
  (global $oneBits v128 (v128.const i32x4 0x3f800000 0x3f800000 0x3f800000 0x3f800000))  ;; the bits of 1.0
  (global $l1 v128 (v128.const f32x4 0.999996447 0.999996447 0.999996447 0.999996447))
  (global $l2 v128 (v128.const f32x4 -0.499874662 -0.499874662 -0.499874662 -0.499874662))
  (global $l3 v128 (v128.const f32x4 0.331803665 0.331803665 0.331803665 0.331803665))
  (global $l4 v128 (v128.const f32x4 -0.240753143 -0.240753143 -0.240753143 -0.240753143))
  (global $l5 v128 (v128.const f32x4 0.167697253 0.167697253 0.167697253 0.167697253))
  (global $l6 v128 (v128.const f32x4 -0.0953822796 -0.0953822796 -0.0953822796 -0.0953822796))
  (global $l7 v128 (v128.const f32x4 0.0361219737 0.0361219737 0.0361219737 0.0361219737))
  (global $l8 v128 (v128.const f32x4 -0.00646210638 -0.00646210638 -0.00646210638 -0.00646210638))

  ;; softplus(a) = max(a, 0) + log1p(exp(−|a|)) of `count` vectors from `at`, in place, to 2.5e-7
  ;; absolute, in one loop (a call per vector cost a third of the kernel: V8 spills live vectors around it).
  ;; Shortening one value's chain of dependent operations is what sped this loop up (docs/performance.md):
  ;; taking two vectors per iteration did not.
  (func $softplusInPlace (param $at i32) (param $count i32)
    (local $end i32) (local $a v128) (local $t v128) (local $m v128) (local $r v128) (local $r2 v128) (local $e v128) (local $e2 v128) (local $e4 v128)
    (local.set $end (i32.add (local.get $at) (i32.shl (local.get $count) (i32.const 4))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
      (local.set $a (v128.load (local.get $at)))
      ;; exp(−y) = 2^−t with t = y·log2(e); y is capped at 87, where exp(−y) nears float32's smallest normal.
      ;; (pmin and pmax are the plain SSE min and max; with the input first, a NaN passes through both.)
      (local.set $t (f32x4.mul (f32x4.pmin (f32x4.abs (local.get $a)) (global.get $cap)) (global.get $log2e)))
      ;; t = k − r with k = nearest(t) and |r| ≤ ½, by adding 2^23 (the float32 spacing there is 1):
      ;; the sum's low mantissa bits are k itself.
      (local.set $m (f32x4.add (local.get $t) (global.get $magic)))
      (local.set $r (f32x4.sub (f32x4.sub (local.get $m) (global.get $magic)) (local.get $t)))
      ;; 2^r by a polynomial of degree 5 in r (fitted to the least largest relative error, 7.5e-8, as
      ;; good as the degree-6 Taylor polynomial and one multiply-add shorter), in Estrin's form.
      (local.set $r2 (f32x4.mul (local.get $r) (local.get $r)))
      (local.set $e (f32x4.add
        (f32x4.add (f32x4.add (global.get $p0) (f32x4.mul (local.get $r) (global.get $p1)))
          (f32x4.mul (local.get $r2) (f32x4.add (global.get $p2) (f32x4.mul (local.get $r) (global.get $p3)))))
        (f32x4.mul (f32x4.mul (local.get $r2) (local.get $r2))
          (f32x4.add (global.get $p4) (f32x4.mul (local.get $r) (global.get $p5))))))
      ;; times 2^−k, whose bits are those of 1.0 less k << 23 (k ≤ 126); m << 23 is k << 23, as the
      ;; shift drops m's exponent bits.
      (local.set $e (f32x4.mul (local.get $e) (i32x4.sub (global.get $oneBits) (i32x4.shl (local.get $m) (i32.const 23)))))
      ;; log1p(e) for e in [0, 1] by a polynomial of degree 8 with no constant term (so that e = 0 gives
      ;; 0; fitted to the least largest error, 3.2e-8), in Estrin's form: no division (the form
      ;; 2·atanh(e / (2 + e)) had one, and a dependency chain twice as long).
      (local.set $e2 (f32x4.mul (local.get $e) (local.get $e)))
      (local.set $e4 (f32x4.mul (local.get $e2) (local.get $e2)))
      (v128.store (local.get $at) (f32x4.add
        (f32x4.pmax (local.get $a) (v128.const i32x4 0 0 0 0))
        (f32x4.add
          (f32x4.add
            (f32x4.add (f32x4.mul (local.get $e) (global.get $l1))
              (f32x4.mul (local.get $e2) (f32x4.add (global.get $l2) (f32x4.mul (local.get $e) (global.get $l3)))))
            (f32x4.mul (local.get $e4)
              (f32x4.add (f32x4.add (global.get $l4) (f32x4.mul (local.get $e) (global.get $l5)))
                (f32x4.mul (local.get $e2) (f32x4.add (global.get $l6) (f32x4.mul (local.get $e) (global.get $l7)))))))
          (f32x4.mul (f32x4.mul (local.get $e4) (local.get $e4)) (global.get $l8)))))
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
      (local.set $z (f64.mul
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

  ;; μ for `rows` rows, a block of `block` rows (a multiple of 4) at a time: their pre-activations
  ;; four rows and two hidden vectors at a time (eight independent sums that share each input's and
  ;; each weight's load: the loop is bound by its instruction count), then one softplus pass over the
  ;; block, then each row's output. Rows past the last repeat the last row.
  ;; Every argument after the counts is a byte offset into memory:
  ;;   w1: [vectors][inputs] v128   b1, anchor, w2: [vectors] v128   scale (1 / the input scale), bound: [inputs] f64
  ;;   states: [rows][width] f64    out: [rows] f64
  ;;   zbuf: [inputs][4] v128 and pre: [block][vectors] v128 of scratch
  (func (export "forward")
    (param $rows i32) (param $width i32) (param $inputs i32) (param $vectors i32)
    (param $w1 i32) (param $b1 i32) (param $anchor i32) (param $w2 i32) (param $scale i32) (param $bound i32)
    (param $states i32) (param $out i32) (param $zbuf i32) (param $pre i32) (param $block i32)
    (local $start i32) (local $end i32) (local $r i32) (local $q i32) (local $rowBytes i32) (local $preBytes i32) (local $inputBytes i32)
    (local $vb i32) (local $w i32) (local $zp i32) (local $zend i32) (local $p0 i32) (local $pairEnd i32)
    (local $h0 v128) (local $h1 v128) (local $h2 v128) (local $h3 v128) (local $g0 v128) (local $g1 v128) (local $g2 v128) (local $g3 v128)
    (local $wa v128) (local $wb v128) (local $z v128) (local $acc v128)
    (local.set $zend (i32.add (local.get $zbuf) (i32.shl (local.get $inputs) (i32.const 6))))
    (local.set $rowBytes (i32.shl (local.get $width) (i32.const 3)))
    (local.set $preBytes (i32.shl (local.get $vectors) (i32.const 4)))
    (local.set $inputBytes (i32.shl (local.get $inputs) (i32.const 4)))
    ;; The hidden vectors taken two at a time end here; an odd last one is taken alone.
    (local.set $pairEnd (i32.shl (i32.shr_u (local.get $vectors) (i32.const 1)) (i32.const 5)))
    (block $blocksDone (loop $blockNext
      (br_if $blocksDone (i32.ge_u (local.get $start) (local.get $rows)))
      (local.set $end (i32.add (local.get $start) (local.get $block)))
      (if (i32.gt_u (local.get $end) (local.get $rows)) (then (local.set $end (local.get $rows))))
      ;; The pre-activations a = W1ᵀz + b1 of the block's rows, four rows at a time.
      (local.set $r (local.get $start))
      (block $quadsDone (loop $quadNext
        (br_if $quadsDone (i32.ge_u (local.get $r) (local.get $end)))
        (local.set $q (i32.const 0))
        (block $splatsDone (loop $splatNext
          (br_if $splatsDone (i32.ge_u (local.get $q) (i32.const 4)))
          (call $splatInputs
            (i32.add (local.get $states) (i32.mul
              (select (i32.add (local.get $r) (local.get $q)) (i32.sub (local.get $end) (i32.const 1))
                (i32.lt_u (i32.add (local.get $r) (local.get $q)) (local.get $end)))
              (local.get $rowBytes)))
            (local.get $inputs) (local.get $scale) (local.get $bound)
            (i32.add (local.get $zbuf) (i32.shl (local.get $q) (i32.const 4))) (i32.const 64))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br $splatNext)))
        ;; Rows r..r+3 (four apart: a block's rows are contiguous, so the block holds them all).
        (local.set $p0 (i32.add (local.get $pre) (i32.mul (i32.sub (local.get $r) (local.get $start)) (local.get $preBytes))))
        (local.set $vb (i32.const 0))
        (block $pairsDone (loop $pairNext
          (br_if $pairsDone (i32.ge_u (local.get $vb) (local.get $pairEnd)))
          (local.set $h0 (v128.load (i32.add (local.get $b1) (local.get $vb))))
          (local.set $h1 (local.get $h0)) (local.set $h2 (local.get $h0)) (local.set $h3 (local.get $h0))
          (local.set $g0 (v128.load offset=16 (i32.add (local.get $b1) (local.get $vb))))
          (local.set $g1 (local.get $g0)) (local.set $g2 (local.get $g0)) (local.set $g3 (local.get $g0))
          (local.set $w (i32.add (local.get $w1) (i32.mul (i32.shr_u (local.get $vb) (i32.const 4)) (local.get $inputBytes))))
          (local.set $zp (local.get $zbuf))
          (block $sumDone (loop $sumNext
            (br_if $sumDone (i32.ge_u (local.get $zp) (local.get $zend)))
            (local.set $wa (v128.load (local.get $w)))
            (local.set $wb (v128.load (i32.add (local.get $w) (local.get $inputBytes))))
            (local.set $z (v128.load offset=0 (local.get $zp)))
            (local.set $h0 (f32x4.add (local.get $h0) (f32x4.mul (local.get $z) (local.get $wa))))
            (local.set $g0 (f32x4.add (local.get $g0) (f32x4.mul (local.get $z) (local.get $wb))))
            (local.set $z (v128.load offset=16 (local.get $zp)))
            (local.set $h1 (f32x4.add (local.get $h1) (f32x4.mul (local.get $z) (local.get $wa))))
            (local.set $g1 (f32x4.add (local.get $g1) (f32x4.mul (local.get $z) (local.get $wb))))
            (local.set $z (v128.load offset=32 (local.get $zp)))
            (local.set $h2 (f32x4.add (local.get $h2) (f32x4.mul (local.get $z) (local.get $wa))))
            (local.set $g2 (f32x4.add (local.get $g2) (f32x4.mul (local.get $z) (local.get $wb))))
            (local.set $z (v128.load offset=48 (local.get $zp)))
            (local.set $h3 (f32x4.add (local.get $h3) (f32x4.mul (local.get $z) (local.get $wa))))
            (local.set $g3 (f32x4.add (local.get $g3) (f32x4.mul (local.get $z) (local.get $wb))))
            (local.set $zp (i32.add (local.get $zp) (i32.const 64)))
            (local.set $w (i32.add (local.get $w) (i32.const 16)))
            (br $sumNext)))
          (local.set $w (i32.add (local.get $p0) (local.get $vb)))
          (v128.store offset=0 (local.get $w) (local.get $h0))
          (v128.store offset=16 (local.get $w) (local.get $g0))
          (local.set $w (i32.add (local.get $w) (local.get $preBytes)))
          (v128.store offset=0 (local.get $w) (local.get $h1))
          (v128.store offset=16 (local.get $w) (local.get $g1))
          (local.set $w (i32.add (local.get $w) (local.get $preBytes)))
          (v128.store offset=0 (local.get $w) (local.get $h2))
          (v128.store offset=16 (local.get $w) (local.get $g2))
          (local.set $w (i32.add (local.get $w) (local.get $preBytes)))
          (v128.store offset=0 (local.get $w) (local.get $h3))
          (v128.store offset=16 (local.get $w) (local.get $g3))
          (local.set $vb (i32.add (local.get $vb) (i32.const 32)))
          (br $pairNext)))
        ;; An odd last hidden vector, for the four rows.
        (if (i32.lt_u (local.get $vb) (local.get $preBytes)) (then
          (local.set $h0 (v128.load (i32.add (local.get $b1) (local.get $vb))))
          (local.set $h1 (local.get $h0)) (local.set $h2 (local.get $h0)) (local.set $h3 (local.get $h0))
          (local.set $w (i32.add (local.get $w1) (i32.mul (i32.shr_u (local.get $vb) (i32.const 4)) (local.get $inputBytes))))
          (local.set $zp (local.get $zbuf))
          (block $sumDone (loop $sumNext
            (br_if $sumDone (i32.ge_u (local.get $zp) (local.get $zend)))
            (local.set $wa (v128.load (local.get $w)))
            (local.set $h0 (f32x4.add (local.get $h0) (f32x4.mul (v128.load offset=0 (local.get $zp)) (local.get $wa))))
            (local.set $h1 (f32x4.add (local.get $h1) (f32x4.mul (v128.load offset=16 (local.get $zp)) (local.get $wa))))
            (local.set $h2 (f32x4.add (local.get $h2) (f32x4.mul (v128.load offset=32 (local.get $zp)) (local.get $wa))))
            (local.set $h3 (f32x4.add (local.get $h3) (f32x4.mul (v128.load offset=48 (local.get $zp)) (local.get $wa))))
            (local.set $zp (i32.add (local.get $zp) (i32.const 64)))
            (local.set $w (i32.add (local.get $w) (i32.const 16)))
            (br $sumNext)))
          (local.set $w (i32.add (local.get $p0) (local.get $vb)))
          (v128.store (local.get $w) (local.get $h0))
          (local.set $w (i32.add (local.get $w) (local.get $preBytes)))
          (v128.store (local.get $w) (local.get $h1))
          (local.set $w (i32.add (local.get $w) (local.get $preBytes)))
          (v128.store (local.get $w) (local.get $h2))
          (local.set $w (i32.add (local.get $w) (local.get $preBytes)))
          (v128.store (local.get $w) (local.get $h3))))
        (local.set $r (i32.add (local.get $r) (i32.const 4)))
        (br $quadNext)))
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
