;; The BPTT LSTM's cell, elementwise, in float32 wasm SIMD, run on tfjs's own wasm memory (it imports
;; it: no copies in or out; src/kernels/lstm-cell.ts registers the kernels with tfjs, docs/design.md §4).
;; The gates' pre-activations z are one [4·hidden, n] tensor, four blocks of m = hidden·n values in
;; the order input, forget, cell, output; c, h and their gradients are blocks of m. Every pointer is a
;; byte offset into the memory, and m is a multiple of 4 (the caller checks).
;;   forward:  i, f, o = σ(z_i, z_f, z_o), g = tanh(z_g), c' = f·c + i·g, h = o·tanh(c')
;;   backward: from c, the activations the forward pass kept and the gradients dh, dc' of the
;;             outputs, the gradients dz and dc of the inputs: no transcendental left to compute.
(module
  (import "env" "memory" (memory 1))

  ;; The constants as immutable v128 globals, which V8 loads (it rebuilds a constant splat at every use
  ;; inside a loop): the cap on |x|, log2(e), 2^23 (rounding), ln 2, 1 (also read as the bits of 1.0),
  ;; 1/2, 1/6, 1/24, 1/120, 1/720 (the Taylor coefficients) and 2.
  (global $cap v128 (v128.const f32x4 87.0 87.0 87.0 87.0))
  (global $log2e v128 (v128.const f32x4 1.44269502 1.44269502 1.44269502 1.44269502))
  (global $magic v128 (v128.const f32x4 8388608.0 8388608.0 8388608.0 8388608.0))
  (global $ln2 v128 (v128.const f32x4 0.693147182 0.693147182 0.693147182 0.693147182))
  (global $one v128 (v128.const f32x4 1.0 1.0 1.0 1.0))
  (global $half v128 (v128.const f32x4 0.5 0.5 0.5 0.5))
  (global $inv6 v128 (v128.const f32x4 0.166666672 0.166666672 0.166666672 0.166666672))
  (global $inv24 v128 (v128.const f32x4 0.0416666679 0.0416666679 0.0416666679 0.0416666679))
  (global $inv120 v128 (v128.const f32x4 0.00833333377 0.00833333377 0.00833333377 0.00833333377))
  (global $inv720 v128 (v128.const f32x4 0.00138888892 0.00138888892 0.00138888892 0.00138888892))
  (global $two v128 (v128.const f32x4 2.0 2.0 2.0 2.0))

  ;; σ(x) is 1/(1 + e) for x ≥ 0 and e/(1 + e) below, with e = e^−|x|: |x|·log2(e) = k + r by rounding
  ;; with 2^23, e^(−r·ln 2) by its degree-6 Taylor polynomial in Estrin's form (remainder below 1.3e-7),
  ;; times 2^−k through the exponent bits (those of 1.0, read as integers, less k << 23; n << 23
  ;; is k << 23, as the shift drops n's exponent). |x| is capped at 87, where e nears float32's smallest normal; NaN passes.
  ;; tanh(x) = 2σ(2x) − 1. Both are written out inline where used: a call per vector spills.

  ;; Two passes. The first, over the four gate blocks of z: acts = σ(z), and tanh(z) on the cell block.
  ;; The second, over m: c' = f·c + i·g, tanh(c') (kept as acts' fifth block), h = o·tanh(c').
  (func (export "forward") (param $m i32) (param $z i32) (param $c i32) (param $h i32) (param $cOut i32) (param $acts i32)
    (local $bytes i32) (local $k i32) (local $end i32) (local $a i32) (local $block i32)
    (local $x v128) (local $scale v128) (local $shift v128) (local $sig v128) (local $cn v128)
    (local $t v128) (local $n v128) (local $s v128) (local $s2 v128) (local $e v128) (local $r v128)
    (local.set $bytes (i32.shl (local.get $m) (i32.const 2)))
    (block $blocksDone (loop $blockNext
      (br_if $blocksDone (i32.ge_u (local.get $block) (i32.const 4)))
      ;; The cell block (2) gets tanh = 2σ(2x) − 1: scale 2, shift 1; the others σ itself.
      (if (i32.eq (local.get $block) (i32.const 2))
        (then (local.set $scale (global.get $two)) (local.set $shift (global.get $one)))
        (else (local.set $scale (global.get $one)) (local.set $shift (v128.const f32x4 0 0 0 0))))
      (local.set $k (i32.mul (local.get $block) (local.get $bytes)))
      (local.set $end (i32.add (local.get $k) (local.get $bytes)))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $k) (local.get $end)))
        (local.set $x (f32x4.mul (v128.load (i32.add (local.get $z) (local.get $k))) (local.get $scale)))
        ;; $sig = σ($x), written out as the comment above the function says.
        (local.set $t (f32x4.mul (f32x4.pmin (f32x4.abs (local.get $x)) (global.get $cap)) (global.get $log2e)))
        (local.set $n (f32x4.add (local.get $t) (global.get $magic)))
        (local.set $s (f32x4.mul (f32x4.sub (f32x4.sub (local.get $n) (global.get $magic)) (local.get $t)) (global.get $ln2)))
        (local.set $s2 (f32x4.mul (local.get $s) (local.get $s)))
        (local.set $e (f32x4.mul
          (f32x4.add
            (f32x4.add (f32x4.add (global.get $one) (local.get $s))
              (f32x4.mul (local.get $s2) (f32x4.add (global.get $half) (f32x4.mul (local.get $s) (global.get $inv6)))))
            (f32x4.mul (f32x4.mul (local.get $s2) (local.get $s2))
              (f32x4.add (f32x4.add (global.get $inv24) (f32x4.mul (local.get $s) (global.get $inv120)))
                (f32x4.mul (local.get $s2) (global.get $inv720)))))
          (i32x4.sub (global.get $one) (i32x4.shl (local.get $n) (i32.const 23)))))
        (local.set $r (f32x4.div (global.get $one) (f32x4.add (global.get $one) (local.get $e))))
        (local.set $sig (v128.bitselect (local.get $r) (f32x4.mul (local.get $e) (local.get $r)) (f32x4.ge (local.get $x) (v128.const f32x4 0 0 0 0))))
        (v128.store (i32.add (local.get $acts) (local.get $k)) (f32x4.sub (f32x4.mul (local.get $sig) (local.get $scale)) (local.get $shift)))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $next)))
      (local.set $block (i32.add (local.get $block) (i32.const 1)))
      (br $blockNext)))
    (local.set $k (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $k) (local.get $bytes)))
      (local.set $a (i32.add (local.get $acts) (local.get $k)))
      ;; c' = f·c + i·g
      (local.set $cn (f32x4.add
        (f32x4.mul (v128.load (i32.add (local.get $a) (local.get $bytes))) (v128.load (i32.add (local.get $c) (local.get $k))))
        (f32x4.mul (v128.load (local.get $a)) (v128.load (i32.add (local.get $a) (i32.shl (local.get $bytes) (i32.const 1)))))))
      (v128.store (i32.add (local.get $cOut) (local.get $k)) (local.get $cn))
      (local.set $x (f32x4.add (local.get $cn) (local.get $cn)))
      ;; $sig = σ($x), written out as the comment above the function says.
      (local.set $t (f32x4.mul (f32x4.pmin (f32x4.abs (local.get $x)) (global.get $cap)) (global.get $log2e)))
      (local.set $n (f32x4.add (local.get $t) (global.get $magic)))
      (local.set $s (f32x4.mul (f32x4.sub (f32x4.sub (local.get $n) (global.get $magic)) (local.get $t)) (global.get $ln2)))
      (local.set $s2 (f32x4.mul (local.get $s) (local.get $s)))
      (local.set $e (f32x4.mul
        (f32x4.add
          (f32x4.add (f32x4.add (global.get $one) (local.get $s))
            (f32x4.mul (local.get $s2) (f32x4.add (global.get $half) (f32x4.mul (local.get $s) (global.get $inv6)))))
          (f32x4.mul (f32x4.mul (local.get $s2) (local.get $s2))
            (f32x4.add (f32x4.add (global.get $inv24) (f32x4.mul (local.get $s) (global.get $inv120)))
              (f32x4.mul (local.get $s2) (global.get $inv720)))))
        (i32x4.sub (global.get $one) (i32x4.shl (local.get $n) (i32.const 23)))))
      (local.set $r (f32x4.div (global.get $one) (f32x4.add (global.get $one) (local.get $e))))
      (local.set $sig (v128.bitselect (local.get $r) (f32x4.mul (local.get $e) (local.get $r)) (f32x4.ge (local.get $x) (v128.const f32x4 0 0 0 0))))
      (local.set $sig (f32x4.sub (f32x4.add (local.get $sig) (local.get $sig)) (global.get $one)))
      (v128.store (i32.add (local.get $a) (i32.shl (local.get $bytes) (i32.const 2))) (local.get $sig))
      (v128.store (i32.add (local.get $h) (local.get $k))
        (f32x4.mul (v128.load (i32.add (local.get $a) (i32.mul (local.get $bytes) (i32.const 3)))) (local.get $sig)))
      (local.set $k (i32.add (local.get $k) (i32.const 16)))
      (br $next))))

  ;; From the forward pass's c and acts and the gradients dh and dc' of its outputs: dz and dc.
  (func (export "backward") (param $m i32) (param $c i32) (param $acts i32) (param $dh i32) (param $dc i32) (param $dz i32) (param $dcPrev i32)
    (local $bytes i32) (local $k i32) (local $a i32) (local $i v128) (local $f v128) (local $g v128) (local $o v128)
    (local $cp v128) (local $tc v128) (local $dhk v128) (local $dct v128) (local $one v128)
    (local.set $bytes (i32.shl (local.get $m) (i32.const 2)))
    (local.set $one (v128.const f32x4 1 1 1 1))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $k) (local.get $bytes)))
      (local.set $a (i32.add (local.get $acts) (local.get $k)))
      (local.set $i (v128.load (local.get $a)))
      (local.set $f (v128.load (i32.add (local.get $a) (local.get $bytes))))
      (local.set $g (v128.load (i32.add (local.get $a) (i32.shl (local.get $bytes) (i32.const 1)))))
      (local.set $o (v128.load (i32.add (local.get $a) (i32.mul (local.get $bytes) (i32.const 3)))))
      (local.set $tc (v128.load (i32.add (local.get $a) (i32.shl (local.get $bytes) (i32.const 2)))))
      (local.set $cp (v128.load (i32.add (local.get $c) (local.get $k))))
      (local.set $dhk (v128.load (i32.add (local.get $dh) (local.get $k))))
      ;; dc' in all: through the output c' and through h = o·tanh(c').
      (local.set $dct (f32x4.add (v128.load (i32.add (local.get $dc) (local.get $k)))
        (f32x4.mul (f32x4.mul (local.get $dhk) (local.get $o)) (f32x4.sub (local.get $one) (f32x4.mul (local.get $tc) (local.get $tc))))))
      (v128.store (i32.add (local.get $dz) (local.get $k))
        (f32x4.mul (f32x4.mul (local.get $dct) (local.get $g)) (f32x4.mul (local.get $i) (f32x4.sub (local.get $one) (local.get $i)))))
      (v128.store (i32.add (i32.add (local.get $dz) (local.get $bytes)) (local.get $k))
        (f32x4.mul (f32x4.mul (local.get $dct) (local.get $cp)) (f32x4.mul (local.get $f) (f32x4.sub (local.get $one) (local.get $f)))))
      (v128.store (i32.add (i32.add (local.get $dz) (i32.shl (local.get $bytes) (i32.const 1))) (local.get $k))
        (f32x4.mul (f32x4.mul (local.get $dct) (local.get $i)) (f32x4.sub (local.get $one) (f32x4.mul (local.get $g) (local.get $g)))))
      (v128.store (i32.add (i32.add (local.get $dz) (i32.mul (local.get $bytes) (i32.const 3))) (local.get $k))
        (f32x4.mul (f32x4.mul (local.get $dhk) (local.get $tc)) (f32x4.mul (local.get $o) (f32x4.sub (local.get $one) (local.get $o)))))
      (v128.store (i32.add (local.get $dcPrev) (local.get $k)) (f32x4.mul (local.get $dct) (local.get $f)))
      (local.set $k (i32.add (local.get $k) (i32.const 16)))
      (br $next))))
)
