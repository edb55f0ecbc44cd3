;; Float64 kernels in wasm SIMD for the GPS's dense linear algebra and its distillation
;; (src/kernels/float64-kernels.ts copies the operands in and the results out; docs/design.md §4 says why).
;;
;; gemmNT: C = A·Bᵀ. A is m×k and B is n×k, both row-major, so every inner product runs along two
;; contiguous rows; C is m×n, row-major. Blocks of
;; 2 rows of A by 2 rows of B keep four vector sums in registers, each operand load serving two of
;; them; an odd last row or column goes through $dot. All addresses are byte offsets.
(module
  (memory (export "memory") 1)

  ;; Σ_p a[p]·b[p] over k entries, two at a time.
  (func $dot (param $a i32) (param $b i32) (param $k i32) (result f64)
    (local $s v128) (local $end i32)
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $k) (i32.const -2)) (i32.const 3))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $s (f64x2.add (local.get $s) (f64x2.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (br $next)))
    (if (i32.and (local.get $k) (i32.const 1)) (then
      (local.set $s (f64x2.add (local.get $s) (f64x2.mul (v128.load64_zero (local.get $a)) (v128.load64_zero (local.get $b)))))))
    (f64.add (f64x2.extract_lane 0 (local.get $s)) (f64x2.extract_lane 1 (local.get $s))))

  ;; $shape: 0 a full product; 1 B lower-triangular (B[j][p] = 0 for p > j: each sum stops at p = j,
  ;; half the work for the mixtures' L⁻¹); 2 a symmetric square C (only the blocks on and above the
  ;; diagonal are summed, then mirrored: half the work for a covariance).
  (func $gemmNT (export "gemmNT") (param $A i32) (param $B i32) (param $C i32) (param $m i32) (param $n i32) (param $k i32) (param $shape i32)
    (local $i i32) (local $j i32) (local $row i32) (local $a0 i32) (local $a1 i32) (local $b0 i32) (local $b1 i32)
    (local $end i32) (local $c0 i32) (local $c1 i32) (local $kk i32) (local $first i32)
    (local $s00 v128) (local $s01 v128) (local $s10 v128) (local $s11 v128)
    (local $x0 v128) (local $x1 v128) (local $y0 v128) (local $y1 v128)
    (local.set $row (i32.shl (local.get $k) (i32.const 3)))
    (block $rowsDone (loop $rows
      (br_if $rowsDone (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (local.get $m)))
      (local.set $first (select (local.get $i) (i32.const 0) (i32.eq (local.get $shape) (i32.const 2))))
      (local.set $c0 (i32.add (local.get $C) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $first)) (i32.const 3))))
      (local.set $c1 (i32.add (local.get $c0) (i32.shl (local.get $n) (i32.const 3))))
      (local.set $j (local.get $first))
      (block $colsDone (loop $cols
        (br_if $colsDone (i32.ge_u (i32.add (local.get $j) (i32.const 1)) (local.get $n)))
        (local.set $kk (local.get $k))
        (if (i32.and (i32.eq (local.get $shape) (i32.const 1)) (i32.lt_u (i32.add (local.get $j) (i32.const 2)) (local.get $k)))
          (then (local.set $kk (i32.add (local.get $j) (i32.const 2)))))
        (local.set $a0 (i32.add (local.get $A) (i32.mul (local.get $i) (local.get $row))))
        (local.set $a1 (i32.add (local.get $a0) (local.get $row)))
        (local.set $b0 (i32.add (local.get $B) (i32.mul (local.get $j) (local.get $row))))
        (local.set $b1 (i32.add (local.get $b0) (local.get $row)))
        (local.set $end (i32.add (local.get $a0) (i32.shl (i32.and (local.get $kk) (i32.const -2)) (i32.const 3))))
        (local.set $s00 (v128.const i64x2 0 0))
        (local.set $s01 (v128.const i64x2 0 0))
        (local.set $s10 (v128.const i64x2 0 0))
        (local.set $s11 (v128.const i64x2 0 0))
        (block $pDone (loop $p
          (br_if $pDone (i32.ge_u (local.get $a0) (local.get $end)))
          (local.set $x0 (v128.load (local.get $a0)))
          (local.set $x1 (v128.load (local.get $a1)))
          (local.set $y0 (v128.load (local.get $b0)))
          (local.set $y1 (v128.load (local.get $b1)))
          (local.set $s00 (f64x2.add (local.get $s00) (f64x2.mul (local.get $x0) (local.get $y0))))
          (local.set $s01 (f64x2.add (local.get $s01) (f64x2.mul (local.get $x0) (local.get $y1))))
          (local.set $s10 (f64x2.add (local.get $s10) (f64x2.mul (local.get $x1) (local.get $y0))))
          (local.set $s11 (f64x2.add (local.get $s11) (f64x2.mul (local.get $x1) (local.get $y1))))
          (local.set $a0 (i32.add (local.get $a0) (i32.const 16)))
          (local.set $a1 (i32.add (local.get $a1) (i32.const 16)))
          (local.set $b0 (i32.add (local.get $b0) (i32.const 16)))
          (local.set $b1 (i32.add (local.get $b1) (i32.const 16)))
          (br $p)))
        (if (i32.and (local.get $kk) (i32.const 1)) (then
          (local.set $x0 (v128.load64_zero (local.get $a0)))
          (local.set $x1 (v128.load64_zero (local.get $a1)))
          (local.set $y0 (v128.load64_zero (local.get $b0)))
          (local.set $y1 (v128.load64_zero (local.get $b1)))
          (local.set $s00 (f64x2.add (local.get $s00) (f64x2.mul (local.get $x0) (local.get $y0))))
          (local.set $s01 (f64x2.add (local.get $s01) (f64x2.mul (local.get $x0) (local.get $y1))))
          (local.set $s10 (f64x2.add (local.get $s10) (f64x2.mul (local.get $x1) (local.get $y0))))
          (local.set $s11 (f64x2.add (local.get $s11) (f64x2.mul (local.get $x1) (local.get $y1))))))
        (f64.store offset=0 (local.get $c0) (f64.add (f64x2.extract_lane 0 (local.get $s00)) (f64x2.extract_lane 1 (local.get $s00))))
        (f64.store offset=8 (local.get $c0) (f64.add (f64x2.extract_lane 0 (local.get $s01)) (f64x2.extract_lane 1 (local.get $s01))))
        (f64.store offset=0 (local.get $c1) (f64.add (f64x2.extract_lane 0 (local.get $s10)) (f64x2.extract_lane 1 (local.get $s10))))
        (f64.store offset=8 (local.get $c1) (f64.add (f64x2.extract_lane 0 (local.get $s11)) (f64x2.extract_lane 1 (local.get $s11))))
        (local.set $c0 (i32.add (local.get $c0) (i32.const 16)))
        (local.set $c1 (i32.add (local.get $c1) (i32.const 16)))
        (local.set $j (i32.add (local.get $j) (i32.const 2)))
        (br $cols)))
      ;; an odd last column of this pair of rows
      (if (i32.lt_u (local.get $j) (local.get $n)) (then
        (local.set $kk (local.get $k))
        (if (i32.and (i32.eq (local.get $shape) (i32.const 1)) (i32.lt_u (i32.add (local.get $j) (i32.const 1)) (local.get $k)))
          (then (local.set $kk (i32.add (local.get $j) (i32.const 1)))))
        (local.set $a0 (i32.add (local.get $A) (i32.mul (local.get $i) (local.get $row))))
        (local.set $b0 (i32.add (local.get $B) (i32.mul (local.get $j) (local.get $row))))
        (f64.store (local.get $c0) (call $dot (local.get $a0) (local.get $b0) (local.get $kk)))
        (f64.store (local.get $c1) (call $dot (i32.add (local.get $a0) (local.get $row)) (local.get $b0) (local.get $kk)))))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $rows)))
    ;; an odd last row
    (if (i32.lt_u (local.get $i) (local.get $m)) (then
      (local.set $a0 (i32.add (local.get $A) (i32.mul (local.get $i) (local.get $row))))
      (local.set $j (select (local.get $i) (i32.const 0) (i32.eq (local.get $shape) (i32.const 2))))
      (local.set $c0 (i32.add (local.get $C) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 3))))
      (block $lastDone (loop $last
        (br_if $lastDone (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $kk (local.get $k))
        (if (i32.and (i32.eq (local.get $shape) (i32.const 1)) (i32.lt_u (i32.add (local.get $j) (i32.const 1)) (local.get $k)))
          (then (local.set $kk (i32.add (local.get $j) (i32.const 1)))))
        (f64.store (local.get $c0) (call $dot (local.get $a0) (i32.add (local.get $B) (i32.mul (local.get $j) (local.get $row))) (local.get $kk)))
        (local.set $c0 (i32.add (local.get $c0) (i32.const 8)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $last)))))
    ;; a symmetric C: the entries below the diagonal blocks from their mirror images
    (if (i32.eq (local.get $shape) (i32.const 2)) (then
      (local.set $i (i32.const 1))
      (block $mirrorDone (loop $mirror
        (br_if $mirrorDone (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $j (i32.const 0))
        (block $lowerDone (loop $lower
          (br_if $lowerDone (i32.ge_u (local.get $j) (i32.and (local.get $i) (i32.const -2))))
          (f64.store (i32.add (local.get $C) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 3)))
            (f64.load (i32.add (local.get $C) (i32.shl (i32.add (i32.mul (local.get $j) (local.get $n)) (local.get $i)) (i32.const 3)))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $lower)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $mirror)))))
  )

  ;; softplusPair's constants as immutable v128 globals: V8 loads each where a splat of a constant
  ;; was rebuilt at every use. With pmax for max, the pass over 3,200 values went 48 -> 37 µs.
  (global $expFloor v128 (v128.const f64x2 -708 -708))
  (global $log2e v128 (v128.const f64x2 1.4426950408889634 1.4426950408889634))
  (global $ln2Hi v128 (v128.const f64x2 0.6931471803691238 0.6931471803691238))
  (global $ln2Lo v128 (v128.const f64x2 1.9082149292705877e-10 1.9082149292705877e-10))
  (global $one v128 (v128.const f64x2 1.0 1.0))
  (global $half v128 (v128.const f64x2 0.5 0.5))
  (global $exp3 v128 (v128.const f64x2 0.16666666666666666 0.16666666666666666))
  (global $exp4 v128 (v128.const f64x2 0.041666666666666664 0.041666666666666664))
  (global $exp5 v128 (v128.const f64x2 0.008333333333333333 0.008333333333333333))
  (global $exp6 v128 (v128.const f64x2 0.001388888888888889 0.001388888888888889))
  (global $exp7 v128 (v128.const f64x2 0.0001984126984126984 0.0001984126984126984))
  (global $exp8 v128 (v128.const f64x2 2.48015873015873e-05 2.48015873015873e-05))
  (global $exp9 v128 (v128.const f64x2 2.7557319223985893e-06 2.7557319223985893e-06))
  (global $exp10 v128 (v128.const f64x2 2.755731922398589e-07 2.755731922398589e-07))
  (global $exp11 v128 (v128.const f64x2 2.505210838544172e-08 2.505210838544172e-08))
  (global $exp12 v128 (v128.const f64x2 2.08767569878681e-09 2.08767569878681e-09))
  (global $exp13 v128 (v128.const f64x2 1.6059043836821613e-10 1.6059043836821613e-10))
  (global $sqrt2Minus1 v128 (v128.const f64x2 0.41421356237309503 0.41421356237309503))
  (global $two v128 (v128.const f64x2 2 2))
  (global $atanh3 v128 (v128.const f64x2 0.3333333333333333 0.3333333333333333))
  (global $atanh5 v128 (v128.const f64x2 0.2 0.2))
  (global $atanh7 v128 (v128.const f64x2 0.14285714285714285 0.14285714285714285))
  (global $atanh9 v128 (v128.const f64x2 0.1111111111111111 0.1111111111111111))
  (global $atanh11 v128 (v128.const f64x2 0.09090909090909091 0.09090909090909091))
  (global $atanh13 v128 (v128.const f64x2 0.07692307692307693 0.07692307692307693))
  (global $atanh15 v128 (v128.const f64x2 0.06666666666666667 0.06666666666666667))
  (global $atanh17 v128 (v128.const f64x2 0.058823529411764705 0.058823529411764705))
  (global $atanh19 v128 (v128.const f64x2 0.05263157894736842 0.05263157894736842))
  (global $atanh21 v128 (v128.const f64x2 0.047619047619047616 0.047619047619047616))
  (global $ln2 v128 (v128.const f64x2 0.6931471805599453 0.6931471805599453))
  (global $zero v128 (v128.const f64x2 0 0))

;; softplus(x) and its slope sigmoid(x) for two entries, from one e = exp(−|x|) (docs/design.md §4):
;;   exp: t = max(−|x|, −708) = k·ln2 + r with |r| ≤ ln2/2, exp(r) by its Taylor series to r¹³ (the
;;        next term is below 2e-16 of the sum), evaluated by Estrin's scheme (pairs, then r², r⁴, r⁸:
;;        four dependent steps where Horner's took thirteen, and the pass was latency-bound), 2^k built in the exponent bits;
;;   log1p(e), e ∈ (0, 1]: 2·atanh(s) with s = y/(2 + y), where y = e, or y = (e − 1)/2 plus ln 2 when
;;        e > √2 − 1, so |s| ≤ 0.172 and the odd series to s²¹ is exact to double precision;
;;   softplus = max(x, 0) + log1p(e), sigmoid = (x ≥ 0 ? 1 : e)/(1 + e).
;; Both maxima are pmax, the plain SSE max (IEEE max costs several instructions): with the input
;; first a NaN passes through, and max(−0, 0) = −0 only adds to a positive log1p.
;; Below −708 the tail is held at exp(−708) ≈ 3e-308, which changes no sum.
  (func $softplusPair (param $x v128) (result v128 v128)
    (local $t v128) (local $k v128) (local $r v128) (local $p v128) (local $e v128)
    (local $big v128) (local $y v128) (local $s v128) (local $z v128) (local $log v128)
    (local $r2 v128) (local $r4 v128) (local $r8 v128) (local $z2 v128) (local $z4 v128) (local $z8 v128)
    (local.set $t (f64x2.pmax (f64x2.neg (f64x2.abs (local.get $x))) (global.get $expFloor)))
    (local.set $k (f64x2.nearest (f64x2.mul (local.get $t) (global.get $log2e))))
    (local.set $r (f64x2.sub (f64x2.sub (local.get $t) (f64x2.mul (local.get $k) (global.get $ln2Hi)))
      (f64x2.mul (local.get $k) (global.get $ln2Lo))))
    (local.set $r2 (f64x2.mul (local.get $r) (local.get $r)))
    (local.set $r4 (f64x2.mul (local.get $r2) (local.get $r2)))
    (local.set $r8 (f64x2.mul (local.get $r4) (local.get $r4)))
    (local.set $p (f64x2.add (f64x2.add (f64x2.add (f64x2.add (global.get $one) (f64x2.mul (local.get $r) (global.get $one))) (f64x2.mul (f64x2.add (global.get $half) (f64x2.mul (local.get $r) (global.get $exp3))) (local.get $r2))) (f64x2.mul (f64x2.add (f64x2.add (global.get $exp4) (f64x2.mul (local.get $r) (global.get $exp5))) (f64x2.mul (f64x2.add (global.get $exp6) (f64x2.mul (local.get $r) (global.get $exp7))) (local.get $r2))) (local.get $r4))) (f64x2.mul (f64x2.add (f64x2.add (f64x2.add (global.get $exp8) (f64x2.mul (local.get $r) (global.get $exp9))) (f64x2.mul (f64x2.add (global.get $exp10) (f64x2.mul (local.get $r) (global.get $exp11))) (local.get $r2))) (f64x2.mul (f64x2.add (global.get $exp12) (f64x2.mul (local.get $r) (global.get $exp13))) (local.get $r4))) (local.get $r8))))
    ;; 2^k: k + 1023 in the exponent field
    (local.set $e (f64x2.mul (local.get $p)
      (i64x2.shl (i64x2.add (i64x2.extend_low_i32x4_s (i32x4.trunc_sat_f64x2_s_zero (local.get $k))) (i64x2.splat (i64.const 1023))) (i32.const 52))))
    (local.set $big (f64x2.gt (local.get $e) (global.get $sqrt2Minus1)))
    (local.set $y (v128.bitselect
      (f64x2.mul (f64x2.sub (local.get $e) (global.get $one)) (global.get $half))
      (local.get $e) (local.get $big)))
    (local.set $s (f64x2.div (local.get $y) (f64x2.add (local.get $y) (global.get $two))))
    (local.set $z (f64x2.mul (local.get $s) (local.get $s)))
    (local.set $z2 (f64x2.mul (local.get $z) (local.get $z)))
    (local.set $z4 (f64x2.mul (local.get $z2) (local.get $z2)))
    (local.set $z8 (f64x2.mul (local.get $z4) (local.get $z4)))
    (local.set $p (f64x2.add (f64x2.add (f64x2.add (f64x2.add (global.get $one) (f64x2.mul (local.get $z) (global.get $atanh3))) (f64x2.mul (f64x2.add (global.get $atanh5) (f64x2.mul (local.get $z) (global.get $atanh7))) (local.get $z2))) (f64x2.mul (f64x2.add (f64x2.add (global.get $atanh9) (f64x2.mul (local.get $z) (global.get $atanh11))) (f64x2.mul (f64x2.add (global.get $atanh13) (f64x2.mul (local.get $z) (global.get $atanh15))) (local.get $z2))) (local.get $z4))) (f64x2.mul (f64x2.add (f64x2.add (global.get $atanh17) (f64x2.mul (local.get $z) (global.get $atanh19))) (f64x2.mul (global.get $atanh21) (local.get $z2))) (local.get $z8))))
    (local.set $log (f64x2.add (f64x2.mul (f64x2.add (local.get $s) (local.get $s)) (local.get $p))
      (v128.and (local.get $big) (global.get $ln2))))
    (f64x2.add (f64x2.pmax (local.get $x) (global.get $zero)) (local.get $log))
    (f64x2.div
      (v128.bitselect (global.get $one) (local.get $e) (f64x2.ge (local.get $x) (global.get $zero)))
      (f64x2.add (local.get $e) (global.get $one))))

  ;; For X (rows×cols, row-major): softplus(X) as rows×cols and as its transpose, and sigmoid(X)
  ;; transposed (the distillation's backward products sum over rows). An odd last column runs in
  ;; lane 0 alone.
  (func (export "softplusLayer") (param $X i32) (param $rows i32) (param $cols i32) (param $sp i32) (param $spT i32) (param $slopeT i32)
    (local $r i32) (local $j i32) (local $in i32) (local $out i32) (local $t i32) (local $pair i32)
    (local $a v128) (local $b v128)
    (block $rowsDone (loop $rowsLoop
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $j (i32.const 0))
      (block $colsDone (loop $colsLoop
        (br_if $colsDone (i32.ge_u (local.get $j) (local.get $cols)))
        (local.set $pair (i32.lt_u (i32.add (local.get $j) (i32.const 1)) (local.get $cols)))
        (local.set $in (i32.shl (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $j)) (i32.const 3)))
        (local.set $t (i32.shl (i32.add (i32.mul (local.get $j) (local.get $rows)) (local.get $r)) (i32.const 3)))
        (if (local.get $pair)
          (then (local.set $a (v128.load (i32.add (local.get $X) (local.get $in)))))
          (else (local.set $a (v128.load64_zero (i32.add (local.get $X) (local.get $in))))))
        (call $softplusPair (local.get $a))
        (local.set $b)
        (local.set $a)
        (f64.store (i32.add (local.get $sp) (local.get $in)) (f64x2.extract_lane 0 (local.get $a)))
        (f64.store (i32.add (local.get $spT) (local.get $t)) (f64x2.extract_lane 0 (local.get $a)))
        (f64.store (i32.add (local.get $slopeT) (local.get $t)) (f64x2.extract_lane 0 (local.get $b)))
        (if (local.get $pair) (then
          (local.set $t (i32.add (local.get $t) (i32.shl (local.get $rows) (i32.const 3))))
          (f64.store offset=8 (i32.add (local.get $sp) (local.get $in)) (f64x2.extract_lane 1 (local.get $a)))
          (f64.store (i32.add (local.get $spT) (local.get $t)) (f64x2.extract_lane 1 (local.get $a)))
          (f64.store (i32.add (local.get $slopeT) (local.get $t)) (f64x2.extract_lane 1 (local.get $b)))))
        (local.set $j (i32.add (local.get $j) (i32.const 2)))
        (br $colsLoop)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rowsLoop)))
  )

  ;; The Gaussian mixture's E step for one component: for each of the N rows x_n of X (N×D),
  ;; out[n·stride] = ‖M(x_n − μ)‖² with M = L⁻¹ (D×D). The centred rows go to `scratch` (N×D), their
  ;; product with Mᵀ to `whitened` (N×D), in 2×2 blocks with each sum stopped at M's diagonal: the
  ;; triangular solve's short row-by-row sums ran at a third of the speed.
  (func (export "mahalanobis") (param $X i32) (param $N i32) (param $D i32) (param $mean i32) (param $M i32) (param $scratch i32) (param $whitened i32) (param $out i32) (param $stride i32)
    (local $n i32) (local $i i32) (local $in i32) (local $at i32) (local $end i32) (local $q f64) (local $v f64)
    (local.set $end (i32.shl (i32.mul (local.get $N) (local.get $D)) (i32.const 3)))
    (block $centreDone (loop $centre
      (br_if $centreDone (i32.ge_u (local.get $at) (local.get $end)))
      (f64.store (i32.add (local.get $scratch) (local.get $at))
        (f64.sub (f64.load (i32.add (local.get $X) (local.get $at)))
                 (f64.load (i32.add (local.get $mean) (i32.shl (local.get $i) (i32.const 3))))))
      (local.set $at (i32.add (local.get $at) (i32.const 8)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (if (i32.eq (local.get $i) (local.get $D)) (then (local.set $i (i32.const 0))))
      (br $centre)))
    (call $gemmNT (local.get $scratch) (local.get $M) (local.get $whitened) (local.get $N) (local.get $D) (local.get $D) (i32.const 1))
    (local.set $at (local.get $whitened))
    (block $rowsDone (loop $rows
      (br_if $rowsDone (i32.ge_u (local.get $n) (local.get $N)))
      (local.set $q (f64.const 0))
      (local.set $i (i32.const 0))
      (block $sumDone (loop $sum
        (br_if $sumDone (i32.ge_u (local.get $i) (local.get $D)))
        (local.set $v (f64.load (local.get $at)))
        (local.set $q (f64.add (local.get $q) (f64.mul (local.get $v) (local.get $v))))
        (local.set $at (i32.add (local.get $at) (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $sum)))
      (f64.store (i32.add (local.get $out) (i32.shl (i32.mul (local.get $n) (local.get $stride)) (i32.const 3))) (local.get $q))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $rows)))
  )

  ;; The M step's moments for one component, weights w (N, summing to 1): mean = Σ_n w_n x_n, then
  ;; Z = (X − μ)ᵀ and Y = Z·diag(w), both D×N, so that the covariance is one gemmNT(Y, Z).
  (func (export "centredColumns") (param $X i32) (param $N i32) (param $D i32) (param $w i32) (param $mean i32) (param $Y i32) (param $Z i32)
    (local $n i32) (local $i i32) (local $row i32) (local $wn f64) (local $d f64) (local $col i32)
    (memory.fill (local.get $mean) (i32.const 0) (i32.shl (local.get $D) (i32.const 3)))
    (block $sumDone (loop $sum
      (br_if $sumDone (i32.ge_u (local.get $n) (local.get $N)))
      (local.set $wn (f64.load (i32.add (local.get $w) (i32.shl (local.get $n) (i32.const 3)))))
      (if (f64.ne (local.get $wn) (f64.const 0)) (then
        (local.set $row (i32.add (local.get $X) (i32.shl (i32.mul (local.get $n) (local.get $D)) (i32.const 3))))
        (local.set $i (i32.const 0))
        (block $addDone (loop $add
          (br_if $addDone (i32.ge_u (local.get $i) (local.get $D)))
          (f64.store (i32.add (local.get $mean) (i32.shl (local.get $i) (i32.const 3)))
            (f64.add (f64.load (i32.add (local.get $mean) (i32.shl (local.get $i) (i32.const 3))))
                     (f64.mul (local.get $wn) (f64.load (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 3)))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $add)))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $sum)))
    (local.set $n (i32.const 0))
    (block $rowsDone (loop $rows
      (br_if $rowsDone (i32.ge_u (local.get $n) (local.get $N)))
      (local.set $wn (f64.load (i32.add (local.get $w) (i32.shl (local.get $n) (i32.const 3)))))
      (local.set $row (i32.add (local.get $X) (i32.shl (i32.mul (local.get $n) (local.get $D)) (i32.const 3))))
      (local.set $col (i32.shl (local.get $n) (i32.const 3)))
      (local.set $i (i32.const 0))
      (block $colsDone (loop $cols
        (br_if $colsDone (i32.ge_u (local.get $i) (local.get $D)))
        (local.set $d (f64.sub (f64.load (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 3))))
                               (f64.load (i32.add (local.get $mean) (i32.shl (local.get $i) (i32.const 3))))))
        (f64.store (i32.add (local.get $Z) (local.get $col)) (local.get $d))
        (f64.store (i32.add (local.get $Y) (local.get $col)) (f64.mul (local.get $wn) (local.get $d)))
        (local.set $col (i32.add (local.get $col) (i32.shl (local.get $N) (i32.const 3))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $cols)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $rows)))
  )

  ;; The distillation's minibatch (src/kernels/mlp-distillation.ts): rows `indices` (B of them, i32)
  ;; of X (n×I) into R (B×(I+1), a 1 appended to each) and, when Ct is not 0, into Ct ((I+1)×B, its
  ;; last row all ones): the operands of a = [Z 1]·[W1; b1] and of the weights' gradient.
  (func (export "gatherRows") (param $X i32) (param $I i32) (param $indices i32) (param $B i32) (param $R i32) (param $Ct i32)
    (local $r i32) (local $i i32) (local $src i32) (local $dst i32) (local $J i32)
    (local.set $J (i32.add (local.get $I) (i32.const 1)))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $r) (local.get $B)))
      (local.set $src (i32.add (local.get $X) (i32.shl (i32.mul (i32.load (i32.add (local.get $indices) (i32.shl (local.get $r) (i32.const 2)))) (local.get $I)) (i32.const 3))))
      (local.set $dst (i32.add (local.get $R) (i32.shl (i32.mul (local.get $r) (local.get $J)) (i32.const 3))))
      (memory.copy (local.get $dst) (local.get $src) (i32.shl (local.get $I) (i32.const 3)))
      (f64.store (i32.add (local.get $dst) (i32.shl (local.get $I) (i32.const 3))) (f64.const 1))
      (if (local.get $Ct) (then
        (local.set $i (i32.const 0))
        (block $colsDone (loop $cols
          (br_if $colsDone (i32.ge_u (local.get $i) (local.get $I)))
          (f64.store (i32.add (local.get $Ct) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $B)) (local.get $r)) (i32.const 3)))
            (f64.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 3)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $cols)))
        (f64.store (i32.add (local.get $Ct) (i32.shl (i32.add (i32.mul (local.get $I) (local.get $B)) (local.get $r)) (i32.const 3))) (f64.const 1))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows)))
  )

  ;; The distillation's loss over the minibatch: per row r (data row indices[r]), d = μ_r − offsets −
  ;; target, whitened = Uᵀd with Uᵀ the row's O×O precision factor, loss += w‖Uᵀd‖². With $grads,
  ;; ∂loss/∂μ_r = 2w/B · U(Uᵀd) into dOut (B×O) and its transpose dOutT (O×B). Returns the loss / B.
  (func (export "weightedLoss") (param $mu i32) (param $offsets i32) (param $targets i32) (param $factors i32) (param $weights i32)
    (param $indices i32) (param $B i32) (param $O i32) (param $dOut i32) (param $dOutT i32) (param $whitened i32) (param $grads i32) (result f64)
    (local $r i32) (local $row i32) (local $k i32) (local $p i32) (local $q i32) (local $Ut i32) (local $d i32)
    (local $s f64) (local $sq f64) (local $w f64) (local $loss f64) (local $scale f64)
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $r) (local.get $B)))
      (local.set $row (i32.load (i32.add (local.get $indices) (i32.shl (local.get $r) (i32.const 2)))))
      (local.set $d (i32.add (local.get $dOut) (i32.shl (i32.mul (local.get $r) (local.get $O)) (i32.const 3))))
      (local.set $k (i32.const 0))
      (block $diffDone (loop $diff
        (br_if $diffDone (i32.ge_u (local.get $k) (local.get $O)))
        (f64.store (i32.add (local.get $d) (i32.shl (local.get $k) (i32.const 3)))
          (f64.sub
            (f64.sub (f64.load (i32.add (local.get $mu) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $O)) (local.get $k)) (i32.const 3))))
                     (f64.load (i32.add (local.get $offsets) (i32.shl (local.get $k) (i32.const 3)))))
            (f64.load (i32.add (local.get $targets) (i32.shl (i32.add (i32.mul (local.get $row) (local.get $O)) (local.get $k)) (i32.const 3))))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $diff)))
      (local.set $Ut (i32.add (local.get $factors) (i32.shl (i32.mul (local.get $row) (i32.mul (local.get $O) (local.get $O))) (i32.const 3))))
      (local.set $sq (f64.const 0))
      (local.set $p (i32.const 0))
      (block $whitenDone (loop $whiten
        (br_if $whitenDone (i32.ge_u (local.get $p) (local.get $O)))
        (local.set $s (f64.const 0))
        (local.set $q (i32.const 0))
        (block $dotDone (loop $dot
          (br_if $dotDone (i32.ge_u (local.get $q) (local.get $O)))
          (local.set $s (f64.add (local.get $s)
            (f64.mul (f64.load (i32.add (local.get $Ut) (i32.shl (i32.add (i32.mul (local.get $p) (local.get $O)) (local.get $q)) (i32.const 3))))
                     (f64.load (i32.add (local.get $d) (i32.shl (local.get $q) (i32.const 3)))))))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br $dot)))
        (f64.store (i32.add (local.get $whitened) (i32.shl (local.get $p) (i32.const 3))) (local.get $s))
        (local.set $sq (f64.add (local.get $sq) (f64.mul (local.get $s) (local.get $s))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $whiten)))
      (local.set $w (f64.load (i32.add (local.get $weights) (i32.shl (local.get $row) (i32.const 3)))))
      (local.set $loss (f64.add (local.get $loss) (f64.mul (local.get $w) (local.get $sq))))
      (if (local.get $grads) (then
        (local.set $scale (f64.div (f64.mul (f64.const 2) (local.get $w)) (f64.convert_i32_u (local.get $B))))
        (local.set $q (i32.const 0))
        (block $backDone (loop $back
          (br_if $backDone (i32.ge_u (local.get $q) (local.get $O)))
          (local.set $s (f64.const 0))
          (local.set $p (i32.const 0))
          (block $sumDone (loop $sum
            (br_if $sumDone (i32.ge_u (local.get $p) (local.get $O)))
            (local.set $s (f64.add (local.get $s)
              (f64.mul (f64.load (i32.add (local.get $Ut) (i32.shl (i32.add (i32.mul (local.get $p) (local.get $O)) (local.get $q)) (i32.const 3))))
                       (f64.load (i32.add (local.get $whitened) (i32.shl (local.get $p) (i32.const 3)))))))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $sum)))
          (local.set $s (f64.mul (local.get $scale) (local.get $s)))
          (f64.store (i32.add (local.get $d) (i32.shl (local.get $q) (i32.const 3))) (local.get $s))
          (f64.store (i32.add (local.get $dOutT) (i32.shl (i32.add (i32.mul (local.get $q) (local.get $B)) (local.get $r)) (i32.const 3))) (local.get $s))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br $back)))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows)))
    (f64.div (local.get $loss) (f64.convert_i32_u (local.get $B))))

  ;; a ← a ∘ b over n entries.
  (func (export "multiplyInPlace") (param $a i32) (param $b i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3))))
    (block $done (loop $pairs
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (v128.store (local.get $a) (f64x2.mul (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (br $pairs)))
    (if (i32.and (local.get $n) (i32.const 1)) (then
      (f64.store (local.get $a) (f64.mul (f64.load (local.get $a)) (f64.load (local.get $b)))))))
)
