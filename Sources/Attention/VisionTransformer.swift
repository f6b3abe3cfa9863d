import Foundation
import NN
import TensorCore

/// Vision Transformer (catalogue D23): image patches as tokens, a class token, learned position
/// embeddings, pre-norm Transformer blocks with multi-head self-attention, a linear head.
///
/// Paper: Dosovitskiy et al., "An Image is Worth 16x16 Words: Transformers for Image Recognition
/// at Scale", ICLR 2021, https://arxiv.org/abs/2010.11929
/// ```
/// z₀ = [x_cls; x_p¹E; …; x_pᴺE] + E_pos
/// z'ₗ = z_{l−1} + MSA(LN(z_{l−1})),  zₗ = z'ₗ + MLP(LN(z'ₗ))         MLP = fc2 ∘ GELU ∘ fc1
/// MSA: softmax(q kᵀ / √d_head) v per head,  y = head(LN(z_L)[:, 0])
/// ```
/// Shapes: (N, in_chans, img_size, img_size) → (N, num_classes).
/// State-dict keys (timm): `cls_token` (1, 1, D), `pos_embed` (1, 1 + P, D), `patch_embed.proj.*`,
/// `blocks.i.norm1.*`, `blocks.i.attn.qkv.*`, `blocks.i.attn.proj.*`, `blocks.i.norm2.*`,
/// `blocks.i.mlp.fc1.*`, `blocks.i.mlp.fc2.*`, `norm.*`, `head.*`.
/// Reference: timm `timm/models/vision_transformer.py` (`VisionTransformer`, `Block`, `Attention`,
/// `Mlp`, `PatchEmbed`) with class-token pooling, LayerNorm eps 1e-6, exact GELU.
/// Deviation: defaults are a small configuration (img 32, patch 8, dim 64, depth 2, heads 4,
/// 10 classes) instead of ViT-B/16; dropout, drop-path, layer scale and register tokens are not
/// implemented (timm's defaults leave them off). Init: cls_token N(0, 1e-6), pos_embed and Linear
/// weights N(0, 0.02) (timm truncates at ±2σ), Linear biases 0.
public final class VisionTransformer: Module, @unchecked Sendable {
    /// Non-overlapping patch embedding by a stride-`patch_size` convolution.
    public final class PatchEmbed: Module, @unchecked Sendable {
        public let proj: Conv2d

        public init(patchSize: Int, inChans: Int, embedDim: Int) {
            proj = Conv2d(inChannels: inChans, outChannels: embedDim, kernelSize: patchSize, stride: patchSize)
            super.init()
        }

        /// (N, C, H, W) → (N, P, D) tokens.
        public override func forward(_ x: Tensor) -> Tensor {
            let y = proj(x)
            return y.reshaped(y.shape[0], y.shape[1], -1).transposed(1, 2)
        }
    }

    /// Multi-head self-attention with a fused qkv projection.
    public final class Attention: Module, @unchecked Sendable {
        public let qkv: Linear
        public let proj: Linear
        public let numHeads: Int

        public init(dim: Int, numHeads: Int, qkvBias: Bool) {
            qkv = Linear(inFeatures: dim, outFeatures: 3 * dim, bias: qkvBias)
            proj = Linear(inFeatures: dim, outFeatures: dim)
            self.numHeads = numHeads
            super.init()
        }

        public override func forward(_ x: Tensor) -> Tensor {
            let b = x.shape[0], n = x.shape[1], d = x.shape[2], hd = d / numHeads
            let qkv = qkv(x).reshaped(b, n, 3, numHeads, hd).permuted(2, 0, 3, 1, 4)   // (3, B, H, N, hd)
            let q = qkv.select(axis: 0, index: 0) * (1 / Float(hd).squareRoot())
            let k = qkv.select(axis: 0, index: 1), v = qkv.select(axis: 0, index: 2)
            let attn = q.matmul(k.transposed(2, 3)).softmax(axis: -1)
            return proj(attn.matmul(v).transposed(1, 2).reshaped(b, n, d))
        }
    }

    /// fc1 → GELU (exact, erf form) → fc2.
    public final class Mlp: Module, @unchecked Sendable {
        public let fc1: Linear
        public let fc2: Linear

        public init(inFeatures: Int, hiddenFeatures: Int) {
            fc1 = Linear(inFeatures: inFeatures, outFeatures: hiddenFeatures)
            fc2 = Linear(inFeatures: hiddenFeatures, outFeatures: inFeatures)
            super.init()
        }

        public override func forward(_ x: Tensor) -> Tensor { fc2(fc1(x).gelu()) }
    }

    /// Pre-norm Transformer block.
    public final class Block: Module, @unchecked Sendable {
        public let norm1: LayerNorm
        public let attn: Attention
        public let norm2: LayerNorm
        public let mlp: Mlp

        public init(dim: Int, numHeads: Int, mlpRatio: Float, qkvBias: Bool) {
            norm1 = LayerNorm(normalizedShape: [dim], eps: 1e-6)
            attn = Attention(dim: dim, numHeads: numHeads, qkvBias: qkvBias)
            norm2 = LayerNorm(normalizedShape: [dim], eps: 1e-6)
            mlp = Mlp(inFeatures: dim, hiddenFeatures: Int(Float(dim) * mlpRatio))
            super.init()
        }

        public override func forward(_ x: Tensor) -> Tensor {
            let y = x + attn(norm1(x))
            return y + mlp(norm2(y))
        }
    }

    public let clsToken: Parameter
    public let posEmbed: Parameter
    public let patchEmbed: PatchEmbed
    public let blocks: [Module]
    public let norm: LayerNorm
    public let head: Linear
    public let imgSize: Int, patchSize: Int, embedDim: Int

    public init(imgSize: Int = 32, patchSize: Int = 8, inChans: Int = 3, numClasses: Int = 10, embedDim: Int = 64,
                depth: Int = 2, numHeads: Int = 4, mlpRatio: Float = 4, qkvBias: Bool = true) {
        let patches = (imgSize / patchSize) * (imgSize / patchSize)
        clsToken = Parameter(Tensor.zeros([1, 1, embedDim]))
        posEmbed = Parameter(Tensor.zeros([1, 1 + patches, embedDim]))
        patchEmbed = PatchEmbed(patchSize: patchSize, inChans: inChans, embedDim: embedDim)
        blocks = (0..<depth).map { _ in Block(dim: embedDim, numHeads: numHeads, mlpRatio: mlpRatio, qkvBias: qkvBias) }
        norm = LayerNorm(normalizedShape: [embedDim], eps: 1e-6)
        head = Linear(inFeatures: embedDim, outFeatures: numClasses)
        self.imgSize = imgSize; self.patchSize = patchSize; self.embedDim = embedDim
        super.init()
        Init.normal(clsToken, std: 1e-6)
        Init.normal(posEmbed, std: 0.02)
        for (_, m) in namedModules() {
            guard let l = m as? Linear else { continue }
            Init.normal(l.weight, std: 0.02)
            if let b = l.bias { Init.zeros(b) }
        }
    }

    /// The final normalised tokens (N, 1 + P, D), before pooling.
    public func forwardFeatures(_ x: Tensor) -> Tensor {
        let tokens = patchEmbed(x)
        let b = tokens.shape[0]
        var z = Tensor.cat([clsToken.value.expanded(b, 1, embedDim), tokens], axis: 1) + posEmbed.value
        for block in blocks { z = block(z) }
        return norm(z)
    }

    public override func forward(_ x: Tensor) -> Tensor {
        head(forwardFeatures(x).select(axis: 1, index: 0))
    }
}
