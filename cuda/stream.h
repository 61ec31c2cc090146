// Streams and events of the CUDA part (Note [Current stream] in stream.cpp): the current stream of
// each device, which every kernel launch and async copy uses, and the calls behind
// pyengine.cuda.Stream / Event. A stream or event crosses into Python as its handle (an integer).
#pragma once
#include <cstdint>

#include <cuda_runtime.h>

namespace pe::cuda {

// The current stream of `device` (-1: the current device) for the calling thread; the legacy
// default stream (nullptr) until set_current_stream names another.
cudaStream_t current_stream(int device);
void set_current_stream(int device, cudaStream_t stream);

// A new stream on `device` (never destroyed, as PyTorch's pool: a handle may be current anywhere).
cudaStream_t create_stream(int device, int priority);
int stream_priority(cudaStream_t stream, int device);
void stream_priority_range(int* least, int* greatest);
bool stream_query(cudaStream_t stream, int device);
void stream_synchronize(cudaStream_t stream, int device);

cudaEvent_t create_event(int device, bool enable_timing, bool blocking);
void destroy_event(cudaEvent_t event);
void event_record(cudaEvent_t event, cudaStream_t stream, int device);
bool event_query(cudaEvent_t event);
void event_synchronize(cudaEvent_t event);
float event_elapsed_ms(cudaEvent_t start, cudaEvent_t end);
// Work issued on `stream` later waits for the event's work.
void stream_wait_event(cudaStream_t stream, int device, cudaEvent_t event);

// Keeps the current stream of `device` busy for about `cycles` GPU clock cycles (torch.cuda._sleep).
void sleep_cycles(int64_t cycles);

}  // namespace pe::cuda
