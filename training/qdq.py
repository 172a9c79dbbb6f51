"""Static int8 quantization of an ONNX graph in QDQ form, with the `onnx` package alone.

Every Conv, Gemm and MatMul with constant weights gets:
  - its activation input through QuantizeLinear -> DequantizeLinear: uint8, asymmetric, over a
    range `decorruptor bundle calibrate` measured (min/max, or a percentile range that leaves out
    the rarest outliers), widened to include 0;
  - its weights as int8, symmetric, one scale per output channel, behind a DequantizeLinear;
  - its bias as int32 at scale = input scale x weight scale, zero point 0 (what onnxruntime's
    QLinearConv takes);
  - its output through Q -> DQ too, unless it is a graph output, so that onnxruntime fuses
    DQ -> Conv -> Q into one QLinearConv and the next node takes the uint8 tensor as it is.
Everything else (normalisation, activations, attention, sampling arithmetic) stays fp32 between
the DequantizeLinear and QuantizeLinear nodes, and onnxruntime decides what it can fuse.
uint8 x int8 (U8S8) is the pairing onnxruntime's x86 kernels use with VNNI."""
import numpy as np
import onnx
from onnx import helper, numpy_helper

QUANTIZED_OPS = ("Conv", "Gemm", "MatMul")


def activation_params(lo: float, hi: float):
    """uint8 scale and zero point covering [lo, hi] (and 0, which must be exact for zero padding)."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = (hi - lo) / 255.0 if hi > lo else 1.0
    zero_point = int(np.clip(round(-lo / scale), 0, 255))
    return np.float32(scale), np.uint8(zero_point)


def weight_params(w: np.ndarray, axis: int):
    """Per-channel symmetric int8: scale per slice along `axis`, values in [-127, 127]."""
    moved = np.moveaxis(w, axis, 0).reshape(w.shape[axis], -1)
    scale = np.abs(moved).max(axis=1) / 127.0
    scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.round(w / scale.reshape(shape)), -127, 127).astype(np.int8)
    return q, scale


def weight_axis(node, w: np.ndarray) -> int:
    """The output-channel axis of the weights."""
    if node.op_type == "Conv":
        return 0
    if node.op_type == "Gemm":
        trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
        return 0 if trans_b else 1
    return w.ndim - 1  # MatMul: [K, N]


class QdqWriter:
    def __init__(self, model: onnx.ModelProto, ranges: dict, keep_fp32=()):
        self.model = model
        self.keep_fp32 = set(keep_fp32)
        self.graph = model.graph
        self.ranges = ranges
        self.inits = {t.name: t for t in self.graph.initializer}
        self.outputs = {o.name for o in self.graph.output}
        self.new_nodes = {}  # node index -> nodes inserted before it
        self.after = {}  # node index -> nodes inserted after it
        self.dequantized = {}  # float tensor -> its DQ output name
        self.scales = {}  # float tensor -> (scale, zero point)
        self.skipped = []
        self.quantized = []

    def add_init(self, name, array) -> str:
        self.graph.initializer.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def qdq_nodes(self, tensor: str, source: str):
        """Q -> DQ of `source` (a float tensor whose range is that of `tensor`); returns the nodes and the DQ output."""
        scale, zp = activation_params(*self.ranges[tensor])
        self.scales[tensor] = (scale, zp)
        s = self.add_init(f"{tensor}_scale", scale)
        z = self.add_init(f"{tensor}_zero_point", zp)
        quantized, dequantized = f"{tensor}_quantized", f"{tensor}_dequantized"
        nodes = [helper.make_node("QuantizeLinear", [source, s, z], [quantized], name=f"{tensor}_QuantizeLinear"),
                 helper.make_node("DequantizeLinear", [quantized, s, z], [dequantized], name=f"{tensor}_DequantizeLinear")]
        return nodes, dequantized

    def quantizable(self, node) -> bool:
        if node.op_type not in QUANTIZED_OPS or node.domain not in ("", "ai.onnx") or node.name in self.keep_fp32:
            return False
        weights = self.inits.get(node.input[1]) if len(node.input) > 1 else None
        if weights is None or weights.data_type != onnx.TensorProto.FLOAT or node.input[0] not in self.ranges:
            return False
        if node.op_type == "MatMul" and len(weights.dims) != 2:
            return False
        if node.op_type == "Gemm" and any(a.name == "transA" and a.i for a in node.attribute):
            return False
        return True

    def quantize_node(self, index: int, node) -> None:
        x = node.input[0]
        before = self.new_nodes.setdefault(index, [])
        if x not in self.dequantized:
            nodes, dq = self.qdq_nodes(x, x)
            before.extend(nodes)
            self.dequantized[x] = dq
        node.input[0] = self.dequantized[x]
        x_scale = self.scales[x][0]

        w = numpy_helper.to_array(self.inits[node.input[1]]).astype(np.float32)
        axis = weight_axis(node, w)
        w_q, w_scale = weight_params(w, axis)
        base = node.name or node.output[0]
        wq = self.add_init(f"{base}_weight_quantized", w_q)
        ws = self.add_init(f"{base}_weight_scale", w_scale)
        wz = self.add_init(f"{base}_weight_zero_point", np.zeros_like(w_scale, dtype=np.int8))
        before.append(helper.make_node("DequantizeLinear", [wq, ws, wz], [f"{base}_weight_dequantized"], axis=axis, name=f"{base}_weight_DequantizeLinear"))
        node.input[1] = f"{base}_weight_dequantized"

        if len(node.input) > 2 and node.input[2] in self.inits:
            bias = numpy_helper.to_array(self.inits[node.input[2]]).astype(np.float32)
            b_scale = (x_scale * w_scale).astype(np.float32)
            if bias.shape == b_scale.shape:
                b_q = np.round(bias / b_scale).astype(np.int32)
                bq = self.add_init(f"{base}_bias_quantized", b_q)
                bs = self.add_init(f"{base}_bias_scale", b_scale)
                bz = self.add_init(f"{base}_bias_zero_point", np.zeros_like(b_q))
                before.append(helper.make_node("DequantizeLinear", [bq, bs, bz], [f"{base}_bias_dequantized"], axis=0, name=f"{base}_bias_DequantizeLinear"))
                node.input[2] = f"{base}_bias_dequantized"

        y = node.output[0]
        if y not in self.outputs and y in self.ranges:
            # The node now writes y_float; Q -> DQ give the consumers their `y` back.
            float_out = f"{y}_float"
            node.output[0] = float_out
            nodes, dq = self.qdq_nodes(y, float_out)
            nodes[-1].output[0] = y
            self.after[index] = nodes
            self.dequantized[y] = y
        self.quantized.append(base)

    def run(self) -> onnx.ModelProto:
        nodes = list(self.graph.node)
        for index, node in enumerate(nodes):
            if self.quantizable(node):
                self.quantize_node(index, node)
            elif node.op_type in QUANTIZED_OPS:
                self.skipped.append(node.name or node.output[0])
        ordered = []
        for index, node in enumerate(nodes):
            ordered.extend(self.new_nodes.get(index, []))
            ordered.append(node)
            ordered.extend(self.after.get(index, []))
        del self.graph.node[:]
        self.graph.node.extend(ordered)
        used = {name for n in ordered for name in n.input}
        # fp32 weights that every user now takes through a DequantizeLinear are dropped.
        keep = [t for t in self.graph.initializer if t.name in used]
        del self.graph.initializer[:]
        self.graph.initializer.extend(keep)
        return self.model


def last_layers(model: onnx.ModelProto, depth: int = 8) -> list:
    """The Conv/Gemm/MatMul nodes that make each graph output, looking back (breadth first, at most
    `depth` nodes deep) through the element-wise and layout ops between: a decoder's Tanh, the
    UNet's eps-from-v arithmetic."""
    producer = {out: n for n in model.graph.node for out in n.output}
    found = []
    frontier = [o.name for o in model.graph.output]
    seen = set(frontier)
    for _ in range(depth):
        next_frontier = []
        for tensor in frontier:
            node = producer.get(tensor)
            if node is None:
                continue
            if node.op_type in QUANTIZED_OPS:
                found.append(node.name)
                continue
            for name in node.input:
                if name and name in producer and name not in seen:
                    seen.add(name)
                    next_frontier.append(name)
        frontier = next_frontier
    return sorted(set(found))


def quantize_model(model: onnx.ModelProto, ranges: dict, keep_fp32=()):
    """`ranges`: tensor -> [lo, hi]; `keep_fp32`: node names left unquantized.
    Returns the QDQ model, the quantized node names and the skipped ones."""
    writer = QdqWriter(model, ranges, keep_fp32)
    out = writer.run()
    onnx.checker.check_model(out)
    return out, writer.quantized, writer.skipped
