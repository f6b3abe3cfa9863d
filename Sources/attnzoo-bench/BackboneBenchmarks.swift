import Attention
import Backbones
import Foundation
import NN
import TensorCore

/// Backbone rows of `make bench` (scripts/bench/backbone_bench.sh): eval forward and train
/// forward+backward of `output.sum()` at (8, 3, 224, 224), each network plain and with a
/// `cbam-block` plugin in all four stages (`*_cbam`). Names: `backbone_<net>[_cbam]_{fwd,fwdbwd}`.
func backboneBenchmarks(batch: Int = 8) -> [Benchmark] {
    var list: [Benchmark] = []
    let x = RandomGenerator.withSeed(1) { Tensor.randn([batch, 3, 224, 224]) }
    for name in ["resnet50", "resnet18", "resnext50_32x4d", "se_resnet50", "seresnet50", "resnest50d", "sknet50"] {
        for cbam in [false, true] {
            let tag = "backbone_\(name)\(cbam ? "_cbam" : "")"
            // Built lazily inside the closures' first (warm-up) call so filtered runs build nothing.
            var net: ResNet?
            func model() -> ResNet {
                if let net { return net }
                let plugins = cbam ? [try! AttentionPlugin(spec: "cbam-block")] : []
                net = try! RandomGenerator.withSeed(0) { try BackboneKind.build(name, plugins: plugins) }
                return net!
            }
            list.append(Benchmark(name: tag + "_fwd", flops: 0) {
                let m = model()
                m.eval()
                _ = withNoGrad { m(x) }
            })
            list.append(Benchmark(name: tag + "_fwdbwd", flops: 0) {
                let m = model()
                m.train()
                m.zeroGrad()
                m(x).sum().backward()
            })
        }
    }
    return list
}
