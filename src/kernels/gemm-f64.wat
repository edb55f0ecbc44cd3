;; C = A·Bᵀ in float64 wasm SIMD, for the GPS's dense linear algebra (src/kernels/gemm-f64.ts copies
;; the operands in and the product out; docs/design.md §4 says why). A is m×k and B is n×k, both
;; row-major, so every inner product runs along two contiguous rows; C is m×n, row-major. Blocks of
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

  (func (export "gemmNT") (param $A i32) (param $B i32) (param $C i32) (param $m i32) (param $n i32) (param $k i32)
    (local $i i32) (local $j i32) (local $row i32) (local $a0 i32) (local $a1 i32) (local $b0 i32) (local $b1 i32)
    (local $end i32) (local $c0 i32) (local $c1 i32)
    (local $s00 v128) (local $s01 v128) (local $s10 v128) (local $s11 v128)
    (local $x0 v128) (local $x1 v128) (local $y0 v128) (local $y1 v128)
    (local.set $row (i32.shl (local.get $k) (i32.const 3)))
    (block $rowsDone (loop $rows
      (br_if $rowsDone (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (local.get $m)))
      (local.set $c0 (i32.add (local.get $C) (i32.shl (i32.mul (local.get $i) (local.get $n)) (i32.const 3))))
      (local.set $c1 (i32.add (local.get $c0) (i32.shl (local.get $n) (i32.const 3))))
      (local.set $j (i32.const 0))
      (block $colsDone (loop $cols
        (br_if $colsDone (i32.ge_u (i32.add (local.get $j) (i32.const 1)) (local.get $n)))
        (local.set $a0 (i32.add (local.get $A) (i32.mul (local.get $i) (local.get $row))))
        (local.set $a1 (i32.add (local.get $a0) (local.get $row)))
        (local.set $b0 (i32.add (local.get $B) (i32.mul (local.get $j) (local.get $row))))
        (local.set $b1 (i32.add (local.get $b0) (local.get $row)))
        (local.set $end (i32.add (local.get $a0) (i32.shl (i32.and (local.get $k) (i32.const -2)) (i32.const 3))))
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
        (if (i32.and (local.get $k) (i32.const 1)) (then
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
        (local.set $a0 (i32.add (local.get $A) (i32.mul (local.get $i) (local.get $row))))
        (local.set $b0 (i32.add (local.get $B) (i32.mul (local.get $j) (local.get $row))))
        (f64.store (local.get $c0) (call $dot (local.get $a0) (local.get $b0) (local.get $k)))
        (f64.store (local.get $c1) (call $dot (i32.add (local.get $a0) (local.get $row)) (local.get $b0) (local.get $k)))))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $rows)))
    ;; an odd last row
    (if (i32.lt_u (local.get $i) (local.get $m)) (then
      (local.set $a0 (i32.add (local.get $A) (i32.mul (local.get $i) (local.get $row))))
      (local.set $c0 (i32.add (local.get $C) (i32.shl (i32.mul (local.get $i) (local.get $n)) (i32.const 3))))
      (local.set $j (i32.const 0))
      (block $lastDone (loop $last
        (br_if $lastDone (i32.ge_u (local.get $j) (local.get $n)))
        (f64.store (local.get $c0) (call $dot (local.get $a0) (i32.add (local.get $B) (i32.mul (local.get $j) (local.get $row))) (local.get $k)))
        (local.set $c0 (i32.add (local.get $c0) (i32.const 8)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $last)))))
  )
)
